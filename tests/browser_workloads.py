"""What the browser tests run inside Pyodide and compare with CPython (pytest puts tests/ on sys.path)."""

from micrograd_plus import MLP, SGD, Value, draw_graph, mse_loss


def readme_example() -> dict:
    """README's ten lines: the numbers they print."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b + b**2
    d = c.tanh()
    d.backward()
    return {"d": d.data, "a.grad": a.grad, "b.grad": b.grad}


def training_run(steps: int = 100) -> dict:
    """README's network trained by gradient descent: the losses along the way and the parameters at the end."""
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    xs, ys = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [1.0, 1.0, 0.0]
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(x) for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return {"losses": losses, "parameters": [p.data for p in model.parameters()]}


def graph_source() -> str:
    """The DOT text of lesson 1's kind of drawing: README's example, with its grads."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    d = (a * b + b**2).tanh()
    d.label = "d"
    d.backward()
    return draw_graph(d).source
