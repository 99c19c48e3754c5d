"""Calibration (``simulate calibrate``): fit scenario parameters to published targets.

``spec`` and ``target_spec`` read the ``calibration:`` section, ``priors`` bound and
place the parameters, ``worlds`` load the worlds and run one evaluation's scenarios,
``targets`` turn runs into each target's model value and noise, ``distance`` is the
Gaussian log-likelihood, ``search`` drives screening, optimiser and prior draws through
the run store, ``accepted`` picks the accepted set, ``output`` writes the folder.
See docs/calibration.md.
"""
