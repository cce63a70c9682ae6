// JSON Schema (2020-12 and draft-07) validation of tool arguments and structured results.
