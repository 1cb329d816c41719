"""`earlyhelp evaluate`: the effect of stepping down to early help after an assessment closed below
the threshold, against closure with no early help (naive, IPW and doubly robust ATTs; see
docs/evaluate.md).

>>> from earlyhelp.evaluate import evaluate
>>> evaluate("synthetic/", Path("evaluation"))   # estimates.csv, balance.csv, evaluation.md, SVGs
"""

from earlyhelp.evaluate.run import Evaluation, evaluate

__all__ = ["Evaluation", "evaluate"]
