#include "tensors.h"

#include <tensorflow/c/tf_tstring.h>

#include <cstring>
#include <string>
#include <unordered_set>

#include "completion.h"

namespace tfr {
namespace {

class ReleaseHold : public Task {
 public:
  explicit ReleaseHold(InputHold* h) : h_(h) {}
  void Execute() override {}
  void Complete(napi_env env) override {
    napi_delete_reference(env, h_->ref);
    delete h_;
  }

 private:
  InputHold* h_;
};

// Called by TensorFlow, on any thread, when no tensor uses the borrowed memory any more.
void Deallocate(void*, size_t, void* arg) {
  auto* h = static_cast<InputHold*>(arg);
  bool release;
  {
    std::lock_guard<std::mutex> lock(h->mu);
    h->deallocated = true;
    release = h->finished;
  }
  if (release) PostToLoop(new ReleaseHold(h));
}

bool ReadShape(napi_env env, napi_value spec, std::vector<int64_t>* dims, int64_t* elems, Failure* err) {
  napi_value shape = GetProperty(env, spec, "shape");
  uint32_t n;
  if (napi_get_array_length(env, shape, &n) != napi_ok) {
    *err = {3, "tensor shape must be an array"};
    return false;
  }
  dims->resize(n);
  *elems = 1;
  for (uint32_t i = 0; i < n; ++i) {
    napi_value d;
    napi_get_element(env, shape, i, &d);
    if (!GetInt64(env, d, &(*dims)[i]) || (*dims)[i] < 0) {
      *err = {3, "tensor dims must be non-negative integers"};
      return false;
    }
    *elems *= (*dims)[i];
  }
  return true;
}

bool MakeStrings(napi_env env, napi_value list, const std::vector<int64_t>& dims, int64_t elems, TF_Tensor** out,
                 Failure* err) {
  uint32_t n;
  if (napi_get_array_length(env, list, &n) != napi_ok || static_cast<int64_t>(n) != elems) {
    *err = {3, "string tensor element count does not match its shape"};
    return false;
  }
  TF_Tensor* t = TF_AllocateTensor(TF_STRING, dims.data(), static_cast<int>(dims.size()), n * sizeof(TF_TString));
  auto* items = static_cast<TF_TString*>(TF_TensorData(t));
  for (uint32_t i = 0; i < n; ++i) TF_TString_Init(&items[i]);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    const uint8_t* data = nullptr;
    size_t len = 0;
    napi_get_element(env, list, i, &e);
    if (!GetBytes(env, e, &data, &len)) {
      TF_DeleteTensor(t);
      *err = {3, "string tensor elements must be byte arrays"};
      return false;
    }
    TF_TString_Copy(&items[i], reinterpret_cast<const char*>(data), len);
  }
  *out = t;
  return true;
}

}  // namespace

bool MakeInput(napi_env env, napi_value spec, TF_Tensor** out, InputHold** hold, Failure* err) {
  *hold = nullptr;
  int64_t dtype_num;
  if (!GetInt64(env, GetProperty(env, spec, "dtype"), &dtype_num)) {
    *err = {3, "tensor dtype must be a number"};
    return false;
  }
  auto dtype = static_cast<TF_DataType>(dtype_num);
  std::vector<int64_t> dims;
  int64_t elems;
  if (!ReadShape(env, spec, &dims, &elems, err)) return false;
  if (dtype == TF_STRING) return MakeStrings(env, GetProperty(env, spec, "strings"), dims, elems, out, err);

  size_t elem_size = TF_DataTypeSize(dtype);
  if (elem_size == 0) {
    *err = {3, "tensor dtype " + std::to_string(dtype_num) + " cannot be fed"};
    return false;
  }
  napi_value data_value = GetProperty(env, spec, "data");
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(env, data_value, &data, &len)) {
    *err = {3, "tensor data must be a byte array"};
    return false;
  }
  if (len != static_cast<size_t>(elems) * elem_size) {
    *err = {3, "tensor data has " + std::to_string(len) + " bytes, its shape needs " +
                   std::to_string(static_cast<size_t>(elems) * elem_size)};
    return false;
  }
  if (len == 0) {
    *out = TF_AllocateTensor(dtype, dims.data(), static_cast<int>(dims.size()), 0);
    return true;
  }
  auto* h = new InputHold();
  h->begin = data;
  h->len = len;
  napi_create_reference(env, data_value, 1, &h->ref);
  // TensorFlow wants the buffer mutable; it never writes to an input it does not own uniquely,
  // and the hold keeps it from ever owning this one uniquely.
  *out = TF_NewTensor(dtype, dims.data(), static_cast<int>(dims.size()), const_cast<uint8_t*>(data), len, Deallocate,
                      h);
  if (*out == nullptr) {
    napi_delete_reference(env, h->ref);
    delete h;
    *err = {13, "TF_NewTensor refused the input"};
    return false;
  }
  *hold = h;
  return true;
}

void FinishHold(napi_env env, InputHold* h) {
  bool release;
  {
    std::lock_guard<std::mutex> lock(h->mu);
    h->finished = true;
    release = h->deallocated;
  }
  if (release) {
    napi_delete_reference(env, h->ref);
    delete h;
  }
}

namespace {

// Memory already lent to a live external ArrayBuffer (a Const output returns the same buffer on every
// run): V8 must not see one address behind two backing stores, so a second one is copied. JS thread only.
std::unordered_set<const void*> lent;

void FinalizeExternal(napi_env env, void* data, void* hint) {
  lent.erase(data);
  auto* t = static_cast<TF_Tensor*>(hint);
  int64_t len = static_cast<int64_t>(TF_TensorByteSize(t));
  TF_DeleteTensor(t);
  int64_t ignored;
  napi_adjust_external_memory(env, -len, &ignored);
}

napi_value Uint8View(napi_env env, napi_value ab, size_t len) {
  napi_value view;
  napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &view);
  return view;
}

napi_value CopyToArrayBuffer(napi_env env, const void* src, size_t len) {
  void* dst;
  napi_value ab;
  napi_create_arraybuffer(env, len, &dst, &ab);
  if (len > 0) std::memcpy(dst, src, len);
  return ab;
}

}  // namespace

bool ReadOutput(napi_env env, TF_Tensor* t, const std::vector<ByteRange>& inputs, napi_value* out, Failure* err) {
  TF_DataType dtype = TF_TensorType(t);
  napi_value obj, shape;
  napi_create_object(env, &obj);
  int nd = TF_NumDims(t);
  napi_create_array_with_length(env, nd, &shape);
  for (int i = 0; i < nd; ++i) napi_set_element(env, shape, i, Int(env, TF_Dim(t, i)));
  SetProperty(env, obj, "dtype", Int(env, dtype));
  SetProperty(env, obj, "shape", shape);

  if (dtype == TF_STRING) {
    int64_t n = TF_TensorElementCount(t);
    auto* items = static_cast<const TF_TString*>(TF_TensorData(t));
    size_t total = 0;
    for (int64_t i = 0; i < n; ++i) total += TF_TString_GetSize(&items[i]);
    void* data;
    void* offs;
    napi_value data_ab, offs_ab, offsets;
    napi_create_arraybuffer(env, total, &data, &data_ab);
    napi_create_arraybuffer(env, (n + 1) * 4, &offs, &offs_ab);
    auto* o = static_cast<uint32_t*>(offs);
    size_t at = 0;
    o[0] = 0;
    for (int64_t i = 0; i < n; ++i) {
      size_t sz = TF_TString_GetSize(&items[i]);
      if (sz > 0) std::memcpy(static_cast<uint8_t*>(data) + at, TF_TString_GetDataPointer(&items[i]), sz);
      at += sz;
      o[i + 1] = static_cast<uint32_t>(at);
    }
    TF_DeleteTensor(t);
    napi_create_typedarray(env, napi_uint32_array, n + 1, offs_ab, 0, &offsets);
    SetProperty(env, obj, "data", Uint8View(env, data_ab, total));
    SetProperty(env, obj, "offsets", offsets);
    *out = obj;
    return true;
  }
  if (dtype == TF_RESOURCE || dtype == TF_VARIANT) {
    TF_DeleteTensor(t);
    *err = {3, "output of dtype " + std::to_string(dtype) + " cannot be returned"};
    return false;
  }
  size_t len = TF_TensorByteSize(t);
  auto* data = static_cast<const uint8_t*>(TF_TensorData(t));
  bool aliases_input = false;
  for (const auto& r : inputs) {
    if (data >= r.first && data < r.first + r.second) aliases_input = true;
  }
  napi_value ab;
  if (len == 0 || aliases_input || lent.count(data) > 0) {
    // An output that shares an input's JS buffer (Identity, Reshape) must not outlive the run's
    // hold on that buffer: copy it.
    ab = CopyToArrayBuffer(env, data, len);
    TF_DeleteTensor(t);
  } else {
    if (napi_create_external_arraybuffer(env, const_cast<uint8_t*>(data), len, FinalizeExternal, t, &ab) != napi_ok) {
      ab = CopyToArrayBuffer(env, data, len);
      TF_DeleteTensor(t);
    } else {
      lent.insert(data);
      int64_t ignored;
      napi_adjust_external_memory(env, static_cast<int64_t>(len), &ignored);
    }
  }
  SetProperty(env, obj, "data", Uint8View(env, ab, len));
  *out = obj;
  return true;
}

}  // namespace tfr
