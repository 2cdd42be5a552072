"""The published-measurement harness behind `infrasim validate`, above the engine.

It checks the performance models (perf) and the serving simulator (engine.serving) against
published figures, so it sits above both in the layers and neither imports it. One idea per
module, lower ones first: `outcome` (what an evaluator returns), `cases` (reading a cases
file), `hardware` (a case's hardware text -> profiles, from the profiles' `matches:` names),
`measured` (measured entries and their units), the per-kind evaluators (`gemm`, `collective`,
`llm_case` + `training`, `inference`, `serving`), `report` (results and per-kind figures),
`runner` (kind -> evaluator, run a set of cases) and `table` (the text the CLI prints).

This file imports nothing, so importing one module does not pull in the rest.
"""
