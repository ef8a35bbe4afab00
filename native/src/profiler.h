// TensorFlow's own profiler, in process: the gRPC ProfilerService in JavaScript asks for a trace of
// the next N milliseconds and gets TensorFlow's XSpace back, serialized.
#pragma once
#include <node_api.h>

namespace tfr {

// profile(profileOptions: Uint8Array, durationMs, stop: Int32Array) -> Promise<Uint8Array XSpace>
napi_value Profile(napi_env env, napi_callback_info info);

}  // namespace tfr
