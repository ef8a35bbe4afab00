#include "tensors.h"

#include <tensorflow/c/tf_tstring.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tfr {
namespace {

// TensorShape::MaxDimensions(): TensorFlow aborts on a shape of more dimensions.
constexpr uint32_t kMaxDims = 254;
// The largest Uint8Array Node 20 creates (buffer.constants.MAX_LENGTH); V8 aborts the process when
// asked for a larger view over external memory. String offsets are 32-bit, one byte less.
constexpr uint64_t kMaxJsBytes = uint64_t{1} << 32;
constexpr uint64_t kMaxJsStringBytes = UINT32_MAX;
// TF_NewTensor borrows memory only at this alignment (EIGEN_MAX_ALIGN_BYTES); below it, it copies.
constexpr uintptr_t kAlign = 64;

std::string ShapeString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i == 16) {
      s += ",...";
      break;
    }
    if (i > 0) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

class ReleaseHold : public Task {
 public:
  explicit ReleaseHold(InputHold* h) : h_(h) { done = h->done; }
  ~ReleaseHold() override {
    if (h_) delete h_;  // teardown: the reference goes with the environment
  }
  void Execute() override {}
  void Complete(napi_env env) override {
    napi_delete_reference(env, h_->ref);
    delete h_;
    h_ = nullptr;
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
  bool is_array = false;
  if (shape == nullptr || napi_is_array(env, shape, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, shape, &n) != napi_ok) {
    *err = {TF_INVALID_ARGUMENT, "tensor shape must be an array"};
    return false;
  }
  if (n > kMaxDims) {
    *err = {TF_INVALID_ARGUMENT, "Tensor shape has " + std::to_string(n) + " dimensions; TensorFlow allows at most " +
                                     std::to_string(kMaxDims)};
    return false;
  }
  dims->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value d;
    double v;
    // Integral and below 2^63: a JS number is exact there only up to 2^53, but never wraps.
    if (napi_get_element(env, shape, i, &d) != napi_ok || napi_get_value_double(env, d, &v) != napi_ok ||
        !(v >= 0 && v < 9223372036854775808.0) || std::floor(v) != v) {
      *err = {TF_INVALID_ARGUMENT, "tensor dims must be non-negative integers"};
      return false;
    }
    (*dims)[i] = static_cast<int64_t>(v);
  }
  // TensorFlow checks every partial product ([2^32, 2^32, 0] aborts it although it has 0 elements).
  int64_t product = 1;
  for (int64_t d : *dims) {
    if (__builtin_mul_overflow(product, d, &product)) {
      *err = {TF_INVALID_ARGUMENT, "Tensor shape " + ShapeString(*dims) + " has more than 2^63 - 1 elements"};
      return false;
    }
  }
  *elems = product;
  return true;
}

}  // namespace

bool ReadFeed(napi_env env, napi_value spec, Feed* f, Failure* err) {
  int64_t dtype_num;
  if (!GetInt64(env, GetProperty(env, spec, "dtype"), &dtype_num)) {
    *err = {TF_INVALID_ARGUMENT, "tensor dtype must be a number"};
    return false;
  }
  f->dtype = static_cast<TF_DataType>(dtype_num);
  int64_t elems;
  if (!ReadShape(env, spec, &f->dims, &elems, err)) return false;

  napi_value value;
  if (f->dtype == TF_STRING) {
    value = GetProperty(env, spec, "strings");
    uint32_t n;
    if (value == nullptr || napi_get_array_length(env, value, &n) != napi_ok || static_cast<int64_t>(n) != elems) {
      *err = {TF_INVALID_ARGUMENT, "string tensor element count does not match its shape"};
      return false;
    }
    f->strings.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      napi_value e;
      if (napi_get_element(env, value, i, &e) != napi_ok || !GetBytes(env, e, &f->strings[i].first, &f->strings[i].second)) {
        *err = {TF_INVALID_ARGUMENT, "string tensor elements must be byte arrays"};
        return false;
      }
    }
    if (n == 0) return true;
  } else {
    size_t elem_size = TF_DataTypeSize(f->dtype);
    if (elem_size == 0) {
      *err = {TF_INVALID_ARGUMENT, "tensor dtype " + std::to_string(dtype_num) + " cannot be fed"};
      return false;
    }
    value = GetProperty(env, spec, "data");
    if (value == nullptr || !GetBytes(env, value, &f->data, &f->len)) {
      *err = {TF_INVALID_ARGUMENT, "tensor data must be a byte array"};
      return false;
    }
    uint64_t need;
    // [2^61] doubles would wrap to 0 bytes and pass the length check.
    if (__builtin_mul_overflow(static_cast<uint64_t>(elems), static_cast<uint64_t>(elem_size), &need) ||
        need > static_cast<uint64_t>(INT64_MAX)) {
      *err = {TF_INVALID_ARGUMENT, "Tensor shape " + ShapeString(f->dims) + " of dtype " + std::to_string(dtype_num) +
                                       " needs more than 2^63 - 1 bytes"};
      return false;
    }
    if (f->len != need) {
      *err = {TF_INVALID_ARGUMENT,
              "tensor data has " + std::to_string(f->len) + " bytes, its shape needs " + std::to_string(need)};
      return false;
    }
    if (f->len == 0) return true;
  }
  // The run thread reads this memory (and TensorFlow may borrow it past the run): keep it referenced.
  auto* h = new InputHold();
  if (napi_create_reference(env, value, 1, &h->ref) != napi_ok) {
    delete h;
    *err = {TF_INTERNAL, "could not reference the tensor's memory"};
    return false;
  }
  h->done = CompletionOf(env);
  f->hold = h;
  return true;
}

bool BuildInput(Feed* f, TF_Tensor** out, Failure* err) {
  const int nd = static_cast<int>(f->dims.size());
  const int64_t* dims = f->dims.data();
  if (f->dtype == TF_STRING) {
    size_t n = f->strings.size();
    TF_Tensor* t = TF_AllocateTensor(TF_STRING, dims, nd, n * sizeof(TF_TString));
    auto* items = t ? static_cast<TF_TString*>(TF_TensorData(t)) : nullptr;
    if (t == nullptr || (n > 0 && items == nullptr)) {
      if (t) TF_DeleteTensor(t);
      *err = {TF_RESOURCE_EXHAUSTED, "could not allocate a string tensor of " + std::to_string(n) + " elements"};
      return false;
    }
    for (size_t i = 0; i < n; ++i) TF_TString_Init(&items[i]);
    for (size_t i = 0; i < n; ++i) {
      TF_TString_Copy(&items[i], reinterpret_cast<const char*>(f->strings[i].first), f->strings[i].second);
    }
    *out = t;
    return true;
  }
  if (f->len > 0 && reinterpret_cast<uintptr_t>(f->data) % kAlign == 0) {
    {
      std::lock_guard<std::mutex> lock(f->hold->mu);
      f->hold->deallocated = false;
    }
    // TensorFlow wants the buffer mutable; it never writes to an input it does not own, and a
    // borrowed buffer is never its own. Deallocate runs even when TF_NewTensor fails.
    *out = TF_NewTensor(f->dtype, dims, nd, const_cast<uint8_t*>(f->data), f->len, Deallocate, f->hold);
    if (*out == nullptr) {
      *err = {TF_INTERNAL, "TF_NewTensor refused the input"};
      return false;
    }
    return true;
  }
  // Empty, or unaligned: TensorFlow's own memory (one copy, as TF_NewTensor would make).
  TF_Tensor* t = TF_AllocateTensor(f->dtype, dims, nd, f->len);
  void* data = t ? TF_TensorData(t) : nullptr;
  if (t == nullptr || (f->len > 0 && data == nullptr)) {
    if (t) TF_DeleteTensor(t);
    *err = {TF_RESOURCE_EXHAUSTED, "could not allocate " + std::to_string(f->len) + " bytes for an input tensor"};
    return false;
  }
  if (f->len > 0) std::memcpy(data, f->data, f->len);
  *out = t;
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

void AbandonHold(InputHold* h) {
  bool release;
  {
    std::lock_guard<std::mutex> lock(h->mu);
    h->finished = true;
    release = h->deallocated;
  }
  if (release) delete h;
}

Fetched::~Fetched() {
  if (tensor) TF_DeleteTensor(tensor);
  std::free(bytes);
  std::free(offsets);
}

bool PrepareOutput(TF_Tensor* t, Fetched* f, Failure* err) {
  f->dtype = TF_TensorType(t);
  int nd = TF_NumDims(t);
  f->dims.resize(nd);
  for (int i = 0; i < nd; ++i) f->dims[i] = TF_Dim(t, i);

  if (f->dtype == TF_STRING) {
    f->is_string = true;
    int64_t n = TF_TensorElementCount(t);
    auto* items = static_cast<const TF_TString*>(TF_TensorData(t));
    uint64_t total = 0;
    for (int64_t i = 0; i < n; ++i) total += TF_TString_GetSize(&items[i]);
    if (total > kMaxJsStringBytes || static_cast<uint64_t>(n) >= kMaxJsStringBytes) {
      TF_DeleteTensor(t);
      *err = {TF_RESOURCE_EXHAUSTED, "string output of " + std::to_string(total) + " bytes in " + std::to_string(n) +
                                         " elements is over the 4 GiB a JavaScript buffer can hold"};
      return false;
    }
    f->len = total;
    f->count = static_cast<size_t>(n);
    f->bytes = total > 0 ? static_cast<uint8_t*>(std::malloc(total)) : nullptr;
    f->offsets = static_cast<uint32_t*>(std::malloc((f->count + 1) * sizeof(uint32_t)));
    if ((total > 0 && f->bytes == nullptr) || f->offsets == nullptr) {
      TF_DeleteTensor(t);
      *err = {TF_RESOURCE_EXHAUSTED, "could not allocate " + std::to_string(total) + " bytes for a string output"};
      return false;
    }
    size_t at = 0;
    f->offsets[0] = 0;
    for (int64_t i = 0; i < n; ++i) {
      size_t sz = TF_TString_GetSize(&items[i]);
      if (sz > 0) std::memcpy(f->bytes + at, TF_TString_GetDataPointer(&items[i]), sz);
      at += sz;
      f->offsets[i + 1] = static_cast<uint32_t>(at);
    }
    TF_DeleteTensor(t);
    return true;
  }
  if (f->dtype == TF_RESOURCE || f->dtype == TF_VARIANT) {
    TF_DeleteTensor(t);
    *err = {TF_INVALID_ARGUMENT, "output of dtype " + std::to_string(f->dtype) + " cannot be returned"};
    return false;
  }
  size_t len = TF_TensorByteSize(t);
  if (len > kMaxJsBytes) {
    TF_DeleteTensor(t);
    *err = {TF_RESOURCE_EXHAUSTED, "output of " + std::to_string(len) + " bytes is over the " +
                                       std::to_string(kMaxJsBytes) + " bytes a JavaScript buffer can hold"};
    return false;
  }
  if (len == 0) {
    TF_DeleteTensor(t);
    return true;
  }
  // Uniquely owned memory can be lent. Anything else may be shared with graph state (a Const's
  // buffer is returned by every run) or with a feed's JS buffer: copied, so JavaScript can neither
  // write into TensorFlow's state nor see one address behind two ArrayBuffers.
  if (TF_Tensor* moved = TF_TensorMaybeMove(t)) {
    f->tensor = moved;
    return true;
  }
  TF_Tensor* copy = TF_AllocateTensor(f->dtype, f->dims.data(), nd, len);
  void* dst = copy ? TF_TensorData(copy) : nullptr;
  if (dst == nullptr) {
    if (copy) TF_DeleteTensor(copy);
    TF_DeleteTensor(t);
    *err = {TF_RESOURCE_EXHAUSTED, "could not allocate " + std::to_string(len) + " bytes for an output"};
    return false;
  }
  std::memcpy(dst, TF_TensorData(t), len);
  TF_DeleteTensor(t);
  f->tensor = copy;
  return true;
}

namespace {

void FinalizeTensor(napi_env env, void*, void* hint) {
  auto* t = static_cast<TF_Tensor*>(hint);
  int64_t len = static_cast<int64_t>(TF_TensorByteSize(t));
  TF_DeleteTensor(t);
  int64_t ignored;
  napi_adjust_external_memory(env, -len, &ignored);
}

void FinalizeMalloc(napi_env env, void* data, void* hint) {
  std::free(data);
  int64_t ignored;
  napi_adjust_external_memory(env, -static_cast<int64_t>(reinterpret_cast<uintptr_t>(hint)), &ignored);
}

bool CopyToArrayBuffer(napi_env env, const void* src, size_t len, napi_value* ab) {
  void* dst = nullptr;
  if (napi_create_arraybuffer(env, len, &dst, ab) != napi_ok || (len > 0 && dst == nullptr)) {
    ClearPendingException(env);
    return false;
  }
  if (len > 0) std::memcpy(dst, src, len);
  return true;
}

// An ArrayBuffer over `data` (*lent: ownership passed to it, `fin(hint)` frees it once JavaScript
// drops it), or a copy where the runtime refuses external memory.
bool Lend(napi_env env, void* data, size_t len, napi_finalize fin, void* hint, napi_value* ab, bool* lent) {
  *lent = false;
  if (len == 0) return CopyToArrayBuffer(env, nullptr, 0, ab);
  if (napi_create_external_arraybuffer(env, data, len, fin, hint, ab) == napi_ok) {
    *lent = true;
    int64_t ignored;
    napi_adjust_external_memory(env, static_cast<int64_t>(len), &ignored);
    return true;
  }
  ClearPendingException(env);
  return CopyToArrayBuffer(env, data, len, ab);
}

bool View(napi_env env, napi_typedarray_type type, size_t length, napi_value ab, napi_value* out) {
  if (napi_create_typedarray(env, type, length, ab, 0, out) == napi_ok) return true;
  ClearPendingException(env);
  return false;
}

}  // namespace

bool OutputToJs(napi_env env, Fetched* f, napi_value* out, Failure* err) {
  napi_value obj, shape, data_ab, data;
  napi_create_object(env, &obj);
  napi_create_array_with_length(env, f->dims.size(), &shape);
  for (size_t i = 0; i < f->dims.size(); ++i) napi_set_element(env, shape, i, Int(env, f->dims[i]));
  SetProperty(env, obj, "dtype", Int(env, f->dtype));
  SetProperty(env, obj, "shape", shape);
  bool lent;
  if (f->is_string) {
    napi_value offs_ab, offsets;
    bool ok = Lend(env, f->bytes, f->len, FinalizeMalloc, reinterpret_cast<void*>(static_cast<uintptr_t>(f->len)),
                   &data_ab, &lent);
    if (lent) f->bytes = nullptr;
    size_t offs_len = (f->count + 1) * sizeof(uint32_t);
    ok = ok && Lend(env, f->offsets, offs_len, FinalizeMalloc, reinterpret_cast<void*>(static_cast<uintptr_t>(offs_len)),
                    &offs_ab, &lent);
    if (ok && lent) f->offsets = nullptr;
    if (!ok || !View(env, napi_uint8_array, f->len, data_ab, &data) ||
        !View(env, napi_uint32_array, f->count + 1, offs_ab, &offsets)) {
      *err = {TF_RESOURCE_EXHAUSTED, "could not hand a string output of " + std::to_string(f->len) + " bytes to JavaScript"};
      return false;
    }
    SetProperty(env, obj, "data", data);
    SetProperty(env, obj, "offsets", offsets);
    *out = obj;
    return true;
  }
  size_t len = f->tensor ? TF_TensorByteSize(f->tensor) : 0;
  bool ok = Lend(env, f->tensor ? TF_TensorData(f->tensor) : nullptr, len, FinalizeTensor, f->tensor, &data_ab, &lent);
  if (lent) f->tensor = nullptr;
  if (!ok || !View(env, napi_uint8_array, len, data_ab, &data)) {
    *err = {TF_RESOURCE_EXHAUSTED, "could not hand an output of " + std::to_string(len) + " bytes to JavaScript"};
    return false;
  }
  SetProperty(env, obj, "data", data);
  *out = obj;
  return true;
}

}  // namespace tfr
