"""`earlyhelp whatif`: a microsimulation of children's journeys over five years under scenarios
that change early help use, carrying the effects `earlyhelp evaluate` estimated (with their
uncertainty) through to referrals, CIN, CP and care starts and their cost (see docs/whatif.md).

>>> from earlyhelp.whatif import run_whatif
>>> run_whatif("synthetic/", Path("whatif"), evaluation=Path("evaluation"))  # whatif.csv, .xlsx, .md
"""

from earlyhelp.whatif.run import COLUMNS, FILES, WhatIf, run_whatif

__all__ = ["COLUMNS", "FILES", "WhatIf", "run_whatif"]
