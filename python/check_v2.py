#!/usr/bin/env python3
"""Drive the server's Open Inference Protocol (KServe V2) API with tritonclient, as its users do.

Usage: check_v2.py --http HOST:PORT --grpc HOST:PORT --cases -   (JSON list of cases on stdin)

Each case is one call through tritonclient.http or tritonclient.grpc with the client's defaults
(binary tensor data on HTTP, raw contents on gRPC) unless the case says otherwise:

  {"op": "infer", "transport": "http" | "grpc" | "grpc_typed", "model": "m", "version": "",
   "signature": null, "id": "", "inputs": [{"name", "datatype", "shape", "values", "binary": true}],
   "outputs": null | [{"name", "binary": true}], "compression": null | "gzip" | "deflate" (HTTP),
   "client_timeout": null | seconds (gRPC deadline)}
  {"op": "server" | "model_metadata" | "model_ready", "transport": ..., "model": ..., "version": ...}

"grpc_typed" sends the inputs in InferTensorContents' typed fields (not raw_input_contents) through
the generated stub, which tritonclient.grpc never does.

Values: numbers, or strings for what JSON cannot carry exactly ("NaN", "Infinity", "-0.0", 64-bit
integers); BYTES elements as strings (UTF-8) or {"b64": "..."}. Outputs come back the same way, every
float as repr() of its exact value, every integer as a decimal string, so the test compares exactly.
Prints {"results": [...]} with per case {"name", "ok", ...} or {"error": {"status", "message"}}.
"""
import argparse
import base64
import json
import math
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

TYPED_FIELD = {
    "BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
    "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
    "UINT64": "uint64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents",
}


def element_in(datatype, v):
    if datatype == "BYTES":
        return base64.b64decode(v["b64"]) if isinstance(v, dict) else v.encode("utf-8")
    if datatype == "BOOL":
        return bool(v)
    if datatype.startswith(("FP", "BF")):
        return float(v)
    return int(v)


def array_in(spec):
    values = [element_in(spec["datatype"], v) for v in spec["values"]]
    dtype = np.object_ if spec["datatype"] == "BYTES" else triton_to_np_dtype(spec["datatype"])
    return np.array(values, dtype=dtype).reshape(spec["shape"])


def element_out(v):
    if isinstance(v, str):  # BYTES sent as JSON data
        return v
    if isinstance(v, (bytes, np.bytes_)):
        b = bytes(v)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(b).decode()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return repr(f)
    return str(int(v))


def array_out(a):
    return [element_out(v) for v in np.asarray(a).reshape(-1)] if a is not None else None


def infer_http(client, case):
    inputs = []
    for spec in case["inputs"]:
        i = httpclient.InferInput(spec["name"], spec["shape"], spec["datatype"])
        i.set_data_from_numpy(array_in(spec), binary_data=spec.get("binary", True))
        inputs.append(i)
    outputs = None
    if case.get("outputs") is not None:
        outputs = [httpclient.InferRequestedOutput(o["name"], binary_data=o.get("binary", True)) for o in case["outputs"]]
    params = {"signature_name": case["signature"]} if case.get("signature") else None
    compression = case.get("compression")
    r = client.infer(case["model"], inputs, model_version=case.get("version", ""), outputs=outputs, request_id=case.get("id", ""),
                     parameters=params, request_compression_algorithm=compression, response_compression_algorithm=compression)
    response = r.get_response()
    return {
        "model_name": response["model_name"], "model_version": response.get("model_version"), "id": response.get("id", ""),
        "outputs": [{"name": o["name"], "datatype": o["datatype"], "shape": o["shape"],
                     "binary": "binary_data_size" in (o.get("parameters") or {}), "values": array_out(r.as_numpy(o["name"]))}
                    for o in response["outputs"]],
    }


def grpc_result(response):
    r = grpcclient.InferResult(response)
    return {
        "model_name": response.model_name, "model_version": response.model_version, "id": response.id,
        "outputs": [{"name": o.name, "datatype": o.datatype, "shape": list(o.shape), "values": array_out(r.as_numpy(o.name))}
                    for o in response.outputs],
    }


def infer_grpc(client, case):
    inputs = []
    for spec in case["inputs"]:
        i = grpcclient.InferInput(spec["name"], spec["shape"], spec["datatype"])
        i.set_data_from_numpy(array_in(spec))
        inputs.append(i)
    outputs = None
    if case.get("outputs") is not None:
        outputs = [grpcclient.InferRequestedOutput(o["name"]) for o in case["outputs"]]
    params = {"signature_name": case["signature"]} if case.get("signature") else None
    r = client.infer(case["model"], inputs, model_version=case.get("version", ""), outputs=outputs, request_id=case.get("id", ""),
                     parameters=params, client_timeout=case.get("client_timeout"))
    return grpc_result(r.get_response())


def infer_grpc_typed(stub, case):
    req = service_pb2.ModelInferRequest(model_name=case["model"], model_version=case.get("version", ""), id=case.get("id", ""))
    if case.get("signature"):
        req.parameters["signature_name"].string_param = case["signature"]
    for spec in case["inputs"]:
        t = req.inputs.add(name=spec["name"], datatype=spec["datatype"], shape=spec["shape"])
        field = TYPED_FIELD.get(spec["datatype"])
        if field is None:  # FP16/BF16 have no typed field: the server must say so
            field = "fp32_contents"
        getattr(t.contents, field).extend(element_in(spec["datatype"], v) for v in spec["values"])
    for o in case.get("outputs") or []:
        req.outputs.add(name=o["name"])
    return grpc_result(stub.ModelInfer(req, timeout=30))


def other_op(client, case):
    op, model, version = case["op"], case.get("model"), case.get("version", "")
    if op == "server":
        meta = client.get_server_metadata()
        if not isinstance(meta, dict):
            meta = {"name": meta.name, "version": meta.version, "extensions": list(meta.extensions)}
        return {"live": client.is_server_live(), "ready": client.is_server_ready(), "metadata": meta}
    if op == "model_ready":
        return {"ready": client.is_model_ready(model, version)}
    if op == "model_metadata":
        m = client.get_model_metadata(model, version)
        if not isinstance(m, dict):
            tensors = lambda ts: [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in ts]  # noqa: E731
            m = {"name": m.name, "versions": list(m.versions), "platform": m.platform, "inputs": tensors(m.inputs), "outputs": tensors(m.outputs)}
        return {"metadata": m}
    raise ValueError("unknown op %r" % op)


def run(case, http, grpc_client, stub):
    transport = case.get("transport", "http")
    client = http if transport == "http" else grpc_client
    try:
        if case.get("op", "infer") != "infer":
            out = other_op(client, case)
        elif transport == "http":
            out = infer_http(http, case)
        elif transport == "grpc":
            out = infer_grpc(grpc_client, case)
        else:
            out = infer_grpc_typed(stub, case)
        return dict(name=case.get("name"), ok=True, **out)
    except InferenceServerException as e:
        return {"name": case.get("name"), "ok": False, "error": {"status": str(e.status()), "message": e.message()}}
    except Exception as e:  # grpc.RpcError from the generated stub
        if hasattr(e, "code"):
            return {"name": case.get("name"), "ok": False, "error": {"status": str(e.code()), "message": e.details()}}
        raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http", required=True)
    ap.add_argument("--grpc", required=True)
    ap.add_argument("--cases", required=True, help="JSON file of cases, or - for stdin")
    args = ap.parse_args()
    cases = json.load(sys.stdin if args.cases == "-" else open(args.cases))
    import grpc
    http = httpclient.InferenceServerClient(args.http)
    grpc_client = grpcclient.InferenceServerClient(args.grpc)
    channel = grpc.insecure_channel(args.grpc)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    try:
        results = [run(c, http, grpc_client, stub) for c in cases]
    finally:
        http.close()
        grpc_client.close()
        channel.close()
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
