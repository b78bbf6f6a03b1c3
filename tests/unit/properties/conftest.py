"""Hypothesis settings of the property suite.

The committed default keeps the suite fast: FATEFLOW_HYPOTHESIS_EXAMPLES examples per property
(200 when unset). The hunt for bugs runs 10,000 per property:

    FATEFLOW_HYPOTHESIS_EXAMPLES=10000 python -m pytest -q tests/unit/properties
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fateflow",
    max_examples=int(os.environ.get("FATEFLOW_HYPOTHESIS_EXAMPLES", "200")),
    # Timing varies on shared machines; a failing example is kept by its value, not its speed.
    deadline=None,
    # No example database in the checkout: a failure prints its example to reproduce it.
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("fateflow")
