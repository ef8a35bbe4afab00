#!/usr/bin/env python3
"""Export the SavedModels that exercise the TensorFlow runtime under the server, with real TensorFlow.

Usage: export_runtime_models.py --out DIR

  reshape_2x2/1  x: float[None] -> tf.reshape(x, [2, 2]); any x of other than 4 values fails in
                 TensorFlow's Reshape kernel (INVALID_ARGUMENT), after the request's bytes were
                 handed to TensorFlow: the failed-run leak test feeds it 1 MiB inputs.
  read_file/1    path: string[] -> tf.io.read_file(path); a missing file fails with NOT_FOUND.
  rendezvous/1   TF1 graph, one FIFOQueue shared by two signatures: `take` blocks in the queue's
                 dequeue until a `put` run enqueues. Both finish only if two runs of one session
                 are in TensorFlow at the same time. `take_regress` (a regress signature over
                 tf.Examples) blocks the same way.
  while_loop/1   n: int32[] -> a tf.while_loop of n dependent scalar steps: one core, sequential.
  tf_text/1      text: string[None] -> TF-Text's WhitespaceTokenizer: tokens (padded with "")
                 and token counts. Needs TF-Text's op libraries at load.
  xla_jit/1      x: float[None] -> 2 * x + 1 in a tf.function(jit_compile=True): runs only where XLA
                 compilation is allowed (--xla_cpu_compilation_enabled).
  text_format/1  x: float[None] -> 0.5 * x + 2, saved as saved_model.pbtxt only (TensorFlow's loader
                 reads the text form when no saved_model.pb is there).
  constant/1     x: float[None] -> c: the constant [1, 2, 3, 4] (a Const's buffer, returned by every
                 run), y: x + the sum of a 16 MiB constant (so the MetaGraphDef is that large).
  huge_output/1  shape: int32[None] -> y: uint8 tf.raw_ops.Empty(shape, init=False): any size, in
                 memory never touched (e.g. [3, 1431655766]: just over 4 GiB, no resident pages).
  bad_output_name/1  reshape_2x2 whose SignatureDef names its output PartitionedCall:99999999999
                 (edited with TensorFlow's own protos after export).
  tflite_add_one/model.tflite  x: float[None] -> x + 1, converted by TensorFlow's TFLite converter
                 (for the TFLite runtime; no SavedModel).

DIR/.stamp holds a hash of this file and the TensorFlow version; a matching stamp exits at once.
"""
import argparse
import hashlib
import importlib.metadata
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def stamp_of():
    h = hashlib.sha256(open(__file__, "rb").read())
    for pkg in ("tensorflow", "tensorflow-text"):
        h.update(importlib.metadata.version(pkg).encode())
    return h.hexdigest()[:16]


def export_reshape(tf, path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serving_default(self, x):
            return {"y": tf.reshape(x, [2, 2])}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_read_file(tf, path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="path")])
        def serving_default(self, path):
            return {"contents": tf.io.read_file(path)}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_rendezvous(tf, path):
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        queue = v1.FIFOQueue(capacity=16, dtypes=[tf.float32], shapes=[[]], name="rendezvous")
        x = v1.placeholder(tf.float32, shape=[], name="x")
        with tf.control_dependencies([queue.enqueue(x)]):
            put = tf.identity(x, name="put_y")
        unused = v1.placeholder(tf.float32, shape=[], name="unused")
        take = tf.add(queue.dequeue(), unused * 0.0, name="take_y")
        examples = v1.placeholder(tf.string, shape=[None], name="examples")
        take_regress = tf.add(queue.dequeue(), tf.zeros_like(examples, dtype=tf.float32), name="take_regress_y")
        info = v1.saved_model.utils.build_tensor_info
        sig = v1.saved_model.signature_def_utils.build_signature_def
        with v1.Session() as sess:
            builder = v1.saved_model.Builder(path)
            builder.add_meta_graph_and_variables(
                sess, ["serve"],
                signature_def_map={
                    "put": sig({"x": info(x)}, {"y": info(put)}, "tensorflow/serving/predict"),
                    "take": sig({"unused": info(unused)}, {"y": info(take)}, "tensorflow/serving/predict"),
                    "take_regress": sig({"inputs": info(examples)}, {"outputs": info(take_regress)},
                                        "tensorflow/serving/regress"),
                })
            builder.save()


def export_while_loop(tf, path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="n")])
        def serving_default(self, n):
            def body(i, acc):
                return i + 1, tf.math.sin(acc) + 1.0

            _, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), tf.constant(0.0)])
            return {"y": acc}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_tf_text(tf, path):
    import tensorflow_text as text

    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.tokenizer = text.WhitespaceTokenizer()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serving_default(self, s):
            tokens = self.tokenizer.tokenize(s)
            return {"tokens": tokens.to_tensor(default_value=""), "counts": tokens.row_lengths()}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_text_format(tf, path):
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serving_default(self, x):
            return {"y": 0.5 * x + 2.0}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    with open(os.path.join(path, "saved_model.pbtxt"), "w") as f:
        f.write(text_format.MessageToString(sm))
    os.remove(os.path.join(path, "saved_model.pb"))


def export_xla_jit(tf, path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")], jit_compile=True)
        def serving_default(self, x):
            return {"y": 2.0 * x + 1.0}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_constant(tf, path):
    import numpy as np

    big = np.random.RandomState(0).rand(4 * 1024 * 1024).astype(np.float32)

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serving_default(self, x):
            return {"c": tf.constant([1.0, 2.0, 3.0, 4.0]), "y": x + tf.reduce_sum(tf.constant(big))}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_huge_output(tf, path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="shape")])
        def serving_default(self, shape):
            return {"y": tf.raw_ops.Empty(shape=shape, dtype=tf.uint8, init=False)}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serving_default})


def export_bad_output_name(tf, path):
    from tensorflow.core.protobuf import saved_model_pb2

    export_reshape(tf, path)
    sm = saved_model_pb2.SavedModel()
    pb = os.path.join(path, "saved_model.pb")
    with open(pb, "rb") as f:
        sm.ParseFromString(f.read())
    sm.meta_graphs[0].signature_def["serving_default"].outputs["y"].name = "PartitionedCall:99999999999"
    with open(pb, "wb") as f:
        f.write(sm.SerializeToString())


def export_tflite_add_one(tf, path):
    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def add_one(self, x):
            return {"y": x + 1.0}

    m = M()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([m.add_one.get_concrete_function()], m)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "model.tflite"), "wb") as f:
        f.write(converter.convert())


EXPORTS = {
    "reshape_2x2": export_reshape,
    "read_file": export_read_file,
    "rendezvous": export_rendezvous,
    "while_loop": export_while_loop,
    "tf_text": export_tf_text,
    "text_format": export_text_format,
    "xla_jit": export_xla_jit,
    "constant": export_constant,
    "huge_output": export_huge_output,
    "bad_output_name": export_bad_output_name,
    "tflite_add_one": export_tflite_add_one,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    stamp = stamp_of()
    stamp_path = os.path.join(out, ".stamp")
    if os.path.exists(stamp_path) and open(stamp_path).read().strip() == stamp:
        return
    import tensorflow as tf

    os.makedirs(os.path.dirname(out), exist_ok=True)
    work = tempfile.mkdtemp(prefix=".runtime-models-", dir=os.path.dirname(out))
    try:
        for name, export in EXPORTS.items():
            export(tf, os.path.join(work, name, "1"))
        with open(os.path.join(work, ".stamp"), "w") as f:
            f.write(stamp + "\n")
        shutil.rmtree(out, ignore_errors=True)
        os.rename(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
