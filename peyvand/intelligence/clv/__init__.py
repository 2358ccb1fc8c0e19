"""Customer-lifetime value: buy-till-you-die models in plain NumPy/SciPy (no Django models).

* ``summary``: transactions → per-customer frequency, recency, age and mean repeat spend;
* ``bgnbd``: BG/NBD (Fader, Hardie & Lee 2005) for repeat purchases and P(alive);
* ``paretonbd``: Pareto/NBD (Fader & Hardie's 2005 note) for the same;
* ``gammagamma``: Gamma-Gamma spend per purchase (Fader, Hardie & Lee 2005; 2013 note);
* ``scoring``: ``fit_models`` and ``score`` — expected purchases over horizons, P(alive),
  CLV with a posterior band — for every customer at once.

Validated against the published CDNOW results (see ``peyvand/intelligence/tests``).
"""

from peyvand.intelligence.clv.bgnbd import BgNbd, fit_bgnbd
from peyvand.intelligence.clv.gammagamma import GammaGamma, fit_gammagamma
from peyvand.intelligence.clv.paretonbd import ParetoNbd, fit_paretonbd
from peyvand.intelligence.clv.scoring import CustomerScores, FittedModels, fit_models, score
from peyvand.intelligence.clv.summary import CustomerSummary, summarize_transactions

__all__ = [
    "BgNbd",
    "CustomerScores",
    "CustomerSummary",
    "FittedModels",
    "GammaGamma",
    "ParetoNbd",
    "fit_bgnbd",
    "fit_gammagamma",
    "fit_models",
    "fit_paretonbd",
    "score",
    "summarize_transactions",
]
