"""The moons demo: micrograd's classic, an MLP learning to separate two half-moons."""

from ..datasets import make_moons
from ..engine import Value, no_gc
from ..losses import hinge_loss
from ..nn import MLP, check_count
from ..optim import SGD
from ..train import check_finite


def train_moons(steps: int = 100, hidden: int = 16, seed: int = 1337, quiet: bool = False) -> tuple[MLP, list[float]]:
    """Train MLP 2-hidden-hidden-1 on 100 moons with hinge loss + L2; return the model and the loss per step."""
    check_count("steps", steps)
    check_count("hidden", hidden)
    points, labels = make_moons()
    model = MLP(2, [hidden, hidden, 1], seed=seed)
    params = model.parameters()
    optimizer = SGD(params, lr=1.0)
    losses = []
    for step in range(steps):
        with no_gc():  # the step's graph has no reference cycles: spare the garbage collector (engine.no_gc)
            scores = [model([Value(x) for x in point]) for point in points]
            loss = hinge_loss(scores, labels) + 1e-4 * sum(p * p for p in params)
            check_finite(
                loss.data,
                f"training diverged at step {step}: the loss",
                "Its learning rate (1.0, decaying) is too large for this network.",
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.lr = 1.0 - 0.9 * step / steps  # learning-rate decay, as in micrograd's demo
            optimizer.step()
        accuracy = sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels)) / len(labels)
        losses.append(loss.data)
        if not quiet and (step % 10 == 0 or step == steps - 1):
            print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    return model, losses


__all__ = ["train_moons"]
