#include "napi_util.h"

namespace tfr {

napi_value MakeError(napi_env env, const Failure& f) {
  napi_value msg, err, code;
  napi_create_string_utf8(env, f.message.data(), f.message.size(), &msg);
  napi_create_error(env, nullptr, msg, &err);
  napi_create_int32(env, f.code, &code);
  napi_set_named_property(env, err, "tfCode", code);
  return err;
}

napi_value Throw(napi_env env, const Failure& f) {
  napi_throw(env, MakeError(env, f));
  return nullptr;
}

void ClearPendingException(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
}

bool GetString(napi_env env, napi_value v, std::string* out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len);
  return napi_get_value_string_utf8(env, v, out->data(), len + 1, &len) == napi_ok;
}

bool GetInt64(napi_env env, napi_value v, int64_t* out) { return napi_get_value_int64(env, v, out) == napi_ok; }

bool GetStringArray(napi_env env, napi_value v, std::vector<std::string>* out) {
  uint32_t n;
  if (napi_get_array_length(env, v, &n) != napi_ok) return false;
  out->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !GetString(env, e, &(*out)[i])) return false;
  }
  return true;
}

bool GetBytes(napi_env env, napi_value v, const uint8_t** data, size_t* len) {
  bool is_typed;
  napi_is_typedarray(env, v, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t length, offset;
    void* ptr;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) return false;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *data = static_cast<const uint8_t*>(ptr);
    *len = length * elem;
    return true;
  }
  bool is_ab;
  napi_is_arraybuffer(env, v, &is_ab);
  if (is_ab) {
    void* ptr;
    if (napi_get_arraybuffer_info(env, v, &ptr, len) != napi_ok) return false;
    *data = static_cast<const uint8_t*>(ptr);
    return true;
  }
  return false;
}

napi_value GetProperty(napi_env env, napi_value obj, const char* name) {
  napi_value v = nullptr;
  napi_get_named_property(env, obj, name, &v);
  return v;
}

void SetProperty(napi_env env, napi_value obj, const char* name, napi_value value) {
  napi_set_named_property(env, obj, name, value);
}

napi_value Int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

}  // namespace tfr
