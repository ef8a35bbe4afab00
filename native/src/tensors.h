// Moving tensors between JavaScript and TensorFlow with as few copies as the memory allows, and with
// all copying off the event loop: the JS thread only reads where a feed's bytes are and wraps what a
// run thread prepared, so its cost per tensor does not grow with the tensor's size.
//
// Inputs: numeric element bytes are handed to TF_NewTensor in place when 64-byte aligned, else
// copied once (TensorFlow's own rule, done here so a failed allocation is an error, not an abort);
// the JS buffer stays referenced until TensorFlow lets go of it. Strings are copied into TF_TStrings
// (TensorFlow's string layout leaves no other way).
// Outputs: a numeric result TensorFlow owns uniquely becomes an external ArrayBuffer over its memory
// (no copy); one it shares (a constant, graph state) is copied, so JavaScript never writes into
// TensorFlow's state. Strings are packed into one buffer plus 32-bit offsets.
#pragma once
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "completion.h"
#include "napi_util.h"

namespace tfr {

// Keeps one JS value (a feed's bytes, or its list of strings) alive while native code may read it.
struct InputHold {
  napi_ref ref = nullptr;
  CompletionPtr done;  // where a late release (TensorFlow letting go after the run) completes
  std::mutex mu;
  bool deallocated = true;  // TensorFlow does not (or no longer) borrow the memory
  bool finished = false;    // the run is over
};

using ByteRange = std::pair<const uint8_t*, size_t>;

// A feed as read on the JS thread: its validated dtype and shape, where its bytes are, and the hold
// that keeps them alive until the run thread has built the TF_Tensor. For strings the hold is on
// the list: the caller must not change it (nor detach a buffer) until the run settles.
struct Feed {
  TF_DataType dtype = TF_FLOAT;
  std::vector<int64_t> dims;
  const uint8_t* data = nullptr;  // numeric
  size_t len = 0;
  std::vector<ByteRange> strings;  // TF_STRING
  InputHold* hold = nullptr;
};

// JS thread. Reads and checks `{dtype, shape, data}` (numeric: element bytes) or
// `{dtype: 7, shape, strings: Uint8Array[]}`: rank, element count and byte size are bounded before
// TensorFlow sees the shape (it aborts the process on shapes it cannot represent).
bool ReadFeed(napi_env env, napi_value spec, Feed* out, Failure* err);
// Run thread. The TF_Tensor for a feed.
bool BuildInput(Feed* feed, TF_Tensor** out, Failure* err);
// JS thread, after the run: releases the hold now, or when TensorFlow lets go of the memory.
void FinishHold(napi_env env, InputHold* hold);
// Any thread, for a run that will never complete (teardown): as FinishHold, leaving the napi_ref
// to the environment's own teardown.
void AbandonHold(InputHold* hold);

// A fetched tensor made ready for JavaScript on the run thread; owns what it holds until handed over.
struct Fetched {
  TF_DataType dtype = TF_FLOAT;
  std::vector<int64_t> dims;
  TF_Tensor* tensor = nullptr;  // numeric, non-empty: uniquely owned, lent to JavaScript as is
  bool is_string = false;
  uint8_t* bytes = nullptr;  // strings: the elements back to back (malloc)
  size_t len = 0;
  uint32_t* offsets = nullptr;  // strings: count + 1 offsets into bytes (malloc)
  size_t count = 0;
  Fetched() = default;
  Fetched(const Fetched&) = delete;
  Fetched& operator=(const Fetched&) = delete;
  ~Fetched();
};

// Run thread. Takes ownership of `t`.
bool PrepareOutput(TF_Tensor* t, Fetched* out, Failure* err);
// JS thread. `{dtype, shape, data}` or `{dtype, shape, data, offsets}` (strings); takes what `f` owns.
bool OutputToJs(napi_env env, Fetched* f, napi_value* out, Failure* err);

}  // namespace tfr
