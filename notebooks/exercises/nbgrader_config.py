# nbgrader settings for the micrograd_plus exercise notebooks: copy this file into your course folder
# (next to source/), or merge it into your own nbgrader_config.py.
#
# The solution notebooks carry one cell that only they should keep: a banner saying they hold the answers,
# tagged "solutions-only". nbconvert's TagRemovePreprocessor, run before nbgrader's own steps, leaves it
# out of the student version, as `python -m micrograd_plus exercises student-copies` does.
from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor,
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = ["solutions-only"]
