# The N-API addon over TensorFlow Lite's C API. scripts/setup-tflite.sh puts the runtime library
# (libjnitensorflowlite.so from the org.bytedeco:tensorflow-lite Maven artifact: TFLite 2.21.0 with
# its C API exported) in lib/, then builds this with node-gyp.
{
  "targets": [
    {
      "target_name": "tflite_binding",
      "sources": ["src/addon.cc", "src/parse_example_op.cc", "src/example_proto.cc"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wno-unused-function"],
      "libraries": [
        "-L<(module_root_dir)/lib",
        "-ljnitensorflowlite",
        "-Wl,-rpath,'$$ORIGIN/../../lib'"
      ]
    }
  ]
}
