// Moving tensors between JavaScript and TensorFlow with as few copies as the memory allows.
//
// Inputs: numeric element bytes are handed to TF_NewTensor in place (TensorFlow copies them itself
// only when they are not 64-byte aligned); the JS buffer is kept alive until TensorFlow lets go of
// it, which may be after the run when an output shares the buffer. Strings are copied into
// TF_TStrings (TensorFlow's string layout leaves no other way).
// Outputs: numeric results become external ArrayBuffers over TensorFlow's own memory (no copy); the
// TF_Tensor is deleted when JavaScript drops the buffer. Strings are packed into one buffer.
#pragma once
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <mutex>
#include <utility>
#include <vector>

#include "napi_util.h"

namespace tfr {

// Keeps one JS buffer alive while TensorFlow may still read it.
struct InputHold {
  napi_ref ref = nullptr;
  const uint8_t* begin = nullptr;
  size_t len = 0;
  std::mutex mu;
  bool deallocated = false;  // TensorFlow released the memory
  bool finished = false;     // the run completed on the JS thread
};

using ByteRange = std::pair<const uint8_t*, size_t>;

// Builds a TF_Tensor from `{dtype, shape, data}` (numeric: Uint8Array of element bytes) or
// `{dtype: 7, shape, strings: Uint8Array[]}`. On success *hold is set when JS memory is borrowed.
bool MakeInput(napi_env env, napi_value spec, TF_Tensor** out, InputHold** hold, Failure* err);
// JS thread, after the run: releases the borrowed buffer now, or when TensorFlow lets go of it.
void FinishHold(napi_env env, InputHold* hold);
// Takes ownership of `t`; returns `{dtype, shape, data}` or `{dtype, shape, data, offsets}` (strings).
bool ReadOutput(napi_env env, TF_Tensor* t, const std::vector<ByteRange>& inputs, napi_value* out, Failure* err);

}  // namespace tfr
