"""The LLM estimates below the command line: request models and their compute functions.

`simulator.estimate_training` / `estimate_inference` / `estimate_serving` and the
`infrasim estimate training|inference|serving` commands validate the same request model here
and call the same compute function; the CLI adds only its typer options and printing. Errors
name the fields as the command line spells them (`--tp`), so both read the same.
"""
