"""earlyhelp: collect, link, measure and publish early help for children in England."""

__version__ = "0.1.0"
