"""`earlyhelp evaluate`: the effect of stepping down to early help after an assessment closed below the threshold."""
