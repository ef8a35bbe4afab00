// Small helpers for the N-API boilerplate: argument reading, errors that carry TensorFlow's code.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tfr {

// A failure with TensorFlow's canonical code (the same numbers as gRPC status codes).
struct Failure {
  int code;
  std::string message;
};

// Creates `Error(message)` with a numeric `code` property.
napi_value MakeError(napi_env env, const Failure& f);
// Throws it; returns nullptr for the caller to return.
napi_value Throw(napi_env env, const Failure& f);
// Clears an exception a failed napi call left pending (a RangeError), so a rejection can follow
// instead of an uncaught exception.
void ClearPendingException(napi_env env);

bool GetString(napi_env env, napi_value v, std::string* out);
bool GetInt64(napi_env env, napi_value v, int64_t* out);
bool GetStringArray(napi_env env, napi_value v, std::vector<std::string>* out);
// Bytes of a Uint8Array/Buffer (or any TypedArray/DataView); data stays owned by JS.
bool GetBytes(napi_env env, napi_value v, const uint8_t** data, size_t* len);
napi_value GetProperty(napi_env env, napi_value obj, const char* name);
void SetProperty(napi_env env, napi_value obj, const char* name, napi_value value);
napi_value Int(napi_env env, int64_t v);

}  // namespace tfr
