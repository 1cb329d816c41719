"""The family-clustered Cox covariance equals statsmodels' own robust covariance (which needs a
(p, families, p) array, about 29 GB at England scale, so evaluate computes it another way)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

from earlyhelp.evaluate.analysis import _family_clustered_covariance


def test_family_clustered_covariance_is_statsmodels_robust_covariance():
    rng = np.random.default_rng(7)
    n = 300
    families = rng.integers(0, 120, n)
    x = rng.normal(size=(n, 3))
    time = rng.exponential(size=n)
    status = rng.random(n) < 0.7
    status[np.argmin(time)] = True  # statsmodels' own sandwich is NaN when the first child is censored
    model = PHReg(time, x, status=status, ties="breslow")
    params = model.fit().params
    expected = PHReg(time, x, status=status, ties="breslow").fit(groups=families).cov_params()
    found = _family_clustered_covariance(model, params, pd.DataFrame({"family": families}))
    np.testing.assert_allclose(found, expected, rtol=1e-8)
    # Clustering matters here: it is not the model-based covariance.
    assert not np.allclose(found, model.fit().cov_params(), rtol=1e-3)


def test_a_child_censored_before_any_event_adds_nothing_rather_than_nan():
    time = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.0])
    status = np.array([False, True, True, False, True, True])
    x = np.array([[0.1], [1.0], [-0.5], [0.3], [0.8], [-1.2]])
    model = PHReg(time, x, status=status, ties="breslow")
    params = model.fit().params
    covariance = _family_clustered_covariance(model, params, pd.DataFrame({"family": [1, 1, 2, 3, 3, 4]}))
    assert np.isfinite(covariance).all()


def test_a_large_cohort_is_sampled_by_whole_families():
    from earlyhelp.evaluate.analysis import _sample_of_families

    # 1,000 families of 3 closures each: a sample of about 300 closures keeps families whole.
    rows = pd.DataFrame({"family": np.repeat(np.arange(1000), 3), "closure": np.arange(3000)})
    sample = _sample_of_families(rows, 300)
    sizes = sample.groupby("family").size()
    assert (sizes == 3).all()
    assert 300 <= len(sample) <= 303
    assert sample.equals(_sample_of_families(rows, 300))  # seeded: the same sample each time
