"""Calibration probe: measure the attached hardware, fit the simulator's models, write overlays.

torch and pynvml are imported lazily, inside the functions that time things, so `import
calibrate` and everything that only reads or fits files (show, import-nccl-tests) work without
them. The simulator never imports this package; `simulator/cli/calibrate.py` loads it inside its
command functions.
"""
