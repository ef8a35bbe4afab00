# The server's TensorFlow runtime addon, linked against the same TensorFlow C library that
# @tensorflow/tfjs-node is built against (scripts/setup.sh stages it under tfjs-node's deps/).
{
  "variables": {
    "tf_deps%": "<!(node -p \"require('path').join(require('path').dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'deps')\")"
  },
  "targets": [
    {
      "target_name": "tf_runtime",
      "sources": [
        "src/addon.cc",
        "src/napi_util.cc",
        "src/completion.cc",
        "src/thread_pool.cc",
        "src/tensors.cc",
        "src/session.cc",
        "src/profiler.cc",
        "src/session_config.cc"
      ],
      "include_dirs": ["<(tf_deps)/include"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wno-deprecated-declarations", "-Wno-unused-parameter", "-Wno-sign-compare", "-Wno-attributes"],
      "defines": ["_GLIBCXX_USE_CXX11_ABI=1", "EIGEN_MAX_ALIGN_BYTES=64", "NAPI_VERSION=8"],
      "libraries": [
        "-L<(tf_deps)/lib",
        "-l:libtensorflow_cc.so.2",
        "-l:libtensorflow_framework.so.2",
        "-Wl,-rpath,\\$$ORIGIN/../../../node_modules/@tensorflow/tfjs-node/deps/lib"
      ]
    },
    {
      "target_name": "net_listen",
      "sources": ["src/listen_socket.cc"],
      "cflags_cc": ["-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
