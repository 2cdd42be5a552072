"""The release number, in a module of its own so that any layer can read it.

`simulator/__init__.py` holds the Python API, whose functions reach up to the CLI's request
models; a layer that imported the version from there would close an import cycle through it.
The build (`[tool.hatch.version]` in pyproject.toml) reads the number from this file.
"""

__version__ = "0.1.0"
