// Session options that must be built by TensorFlow itself: a text ConfigProto parsed with
// TensorFlow's own parser (exactly what TF Serving accepts in --tensorflow_session_config_file),
// and the process-wide XLA switch TF Serving turns off unless asked.
#pragma once
#include <node_api.h>

namespace tfr {

// parseConfigProto(text) -> Uint8Array (binary ConfigProto); throws INVALID_ARGUMENT with the parser's message.
napi_value ParseConfigProto(napi_env env, napi_callback_info info);
// disableXlaCompilation(): no XLA JIT for any session of this process.
napi_value DisableXla(napi_env env, napi_callback_info info);

}  // namespace tfr
