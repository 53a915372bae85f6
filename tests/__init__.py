"""VoiceDock's test suite (run with trial: `python -m twisted.trial tests`)."""

import os

from hypothesis import HealthCheck, settings

# Derandomized under CI so a run is reproducible; the dev profile explores.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
