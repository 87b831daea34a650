"""Validates every STIX bundle (*.json) of a folder with stix2-validator
(OASIS), as STIX 2.1 with the default checks. Prints one JSON line per file
({"file", "valid", "errors": [...], "warnings": n}) and exits 1 when a file
has an error or cannot be read."""

import json
import pathlib
import sys

from stix2validator import ValidationOptions, validate_file

failed = False
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    results = validate_file(str(path), ValidationOptions(version="2.1"))
    errors = [str(e) for o in results.object_results for e in o.errors]
    if results.fatal is not None:
        errors.append(f"fatal: {results.fatal}")
    warnings = sum(len(o.warnings) for o in results.object_results)
    failed = failed or bool(errors) or not results.is_valid
    print(json.dumps({"file": path.name, "valid": results.is_valid,
                      "errors": errors, "warnings": warnings}))
sys.exit(1 if failed else 0)
