"""Checks ONNX files with onnx.checker (full_check: strict shape inference too) and prints, per file, one JSON
line of what onnx read from it, so test/model/onnx.test.ts can compare it with what it wrote.
Usage: /usr/bin/python3 onnx_check.py FILE... (needs Debian's python3-onnx)."""

import json
import sys

import onnx

for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print(json.dumps({
        "ir_version": model.ir_version,
        "opset": [[o.domain, o.version] for o in model.opset_import],
        "producer_name": model.producer_name,
        "ops": [n.op_type for n in model.graph.node],
        "metadata": {p.key: p.value for p in model.metadata_props},
    }))
