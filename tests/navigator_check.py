"""Loads atlasview's Navigator layers with mitreattack-python's `Layer`.

mitreattack-python knows the ATT&CK domains only (enterprise, mobile, ICS):
its domain check is given the ATLAS domain, `atlas-atlas`, and its technique
ID check (IDs starting with `T`) the ATLAS IDs (`AML.T0051`, `AML.T0051.000`).
Nothing else is relaxed: the layer is loaded strictly, and every scored
technique's colour is computed from the layer's gradient, as the library does.

Usage: python navigator_check.py LAYER.json ...
Prints one JSON object per layer, {"file", "techniques", "gradient",
"colors": {"<techniqueID>/<tactic>": "<gradient colour of its score>"}};
exits 1 naming the first layer that does not load.
"""

import io
import json
import re
import sys
from contextlib import redirect_stdout

from mitreattack.navlayers.core import exceptions, layerobj, technique
from mitreattack.navlayers.core.layer import Layer

ATLAS_DOMAIN = "atlas-atlas"
ATLAS_TECHNIQUE = re.compile(r"AML\.T\d{4}(\.\d{3})?")

_category_checker = layerobj.categoryChecker


def _category_checker_with_atlas(caller, testee, valid, field):
    if field == "domain" and testee == ATLAS_DOMAIN:
        return
    _category_checker(caller, testee, valid, field)


layerobj.categoryChecker = _category_checker_with_atlas

_technique_id = technique.Technique.techniqueID


def _set_technique_id(self, tid):
    if isinstance(tid, str) and ATLAS_TECHNIQUE.fullmatch(tid):
        self._Technique__techniqueID = tid
    else:
        _technique_id.fset(self, tid)


technique.Technique.techniqueID = property(_technique_id.fget, _set_technique_id)


def check(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    said = io.StringIO()
    # The library reports problems by printing them and leaving the layer unset.
    with redirect_stdout(said):
        layer = Layer(strict=True)
        layer.from_str(raw)
    obj = layer.layer
    if not isinstance(obj, layerobj._LayerObj):
        raise SystemExit(f"{path}: mitreattack-python cannot load the layer: {said.getvalue().strip()}")
    gradient = obj.gradient
    colors = {}
    for t in obj.techniques or []:
        score = getattr(t, "score", None)
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            key = f"{t.techniqueID}/{getattr(t, 'tactic', '')}"
            colors[key] = gradient.compute_color(score)
    return {
        "file": path,
        "techniques": len(obj.techniques or []),
        "gradient": gradient.get_dict(),
        "colors": colors,
    }


def main(paths):
    if not paths:
        raise SystemExit("usage: navigator_check.py LAYER.json ...")
    for path in paths:
        try:
            print(json.dumps(check(path)))
        except (exceptions.BadInput, exceptions.BadType, IndexError, ZeroDivisionError, ValueError) as e:
            raise SystemExit(f"{path}: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
