// HAPS's native layer: what node-llama-cpp 3.21.1 does not bind, reached inside the llama.cpp it already loaded.
//
// - mallocTrim(): glibc's malloc_trim(0), which returns the freed pages of every arena to the system.
// - attach(): finds the llama.cpp and ggml shared libraries that node-llama-cpp loaded (dl_iterate_phdr) and takes
//   the few functions this file calls from them with dlopen(RTLD_NOLOAD) + dlsym: it never loads a second copy.
// - describe*(): reads node-llama-cpp's native objects (AddonModel, AddonContext, AddonModelLora, unwrapped with
//   napi_unwrap; their layouts come from the headers node-llama-cpp ships with its binaries) so that the TypeScript
//   side can check every layout and pointer against what it knows independently before it uses them (the self-test
//   in src/core/native/nativeLayer.ts).
// - writeLora(): overwrites the A and B tensors of a loaded adapter in place (ggml_backend_tensor_set), found by name
//   in llama.cpp's adapter object (`llama_adapter_lora::ab_map`, src/llama-adapter.h of the llama.cpp source that
//   node-llama-cpp ships as a git bundle).
//
// Every function that touches llama.cpp checks its arguments' types and sizes and throws a JavaScript error instead
// of writing out of bounds.
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "napi.h"

#include "AddonContext.h"
#include "AddonModel.h"
#include "AddonModelLora.h"
#include "llama-adapter.h"

namespace {

struct LlamaFunctions {
    bool attached = false;
    std::string llamaPath;
    std::string ggmlBasePath;
    void (*tensorSet)(ggml_tensor*, const void*, size_t, size_t) = nullptr;
    void (*tensorGet)(const ggml_tensor*, void*, size_t, size_t) = nullptr;
    size_t (*nbytes)(const ggml_tensor*) = nullptr;
    const llama_model* (*getModel)(const llama_context*) = nullptr;
    uint32_t (*nCtx)(const llama_context*) = nullptr;
    int32_t (*modelNEmbd)(const llama_model*) = nullptr;
    /** Optional (setEmbeddings says so when it is missing): switches a context's embeddings mode. */
    void (*setEmbeddings)(llama_context*, bool) = nullptr;
};
LlamaFunctions fns;

/** Whether `name` (a path) ends in lib<stem>.so or lib<stem>.v<version>.so - not lib<stem>-common.so and the like. */
bool isLibrary(const std::string& path, const std::string& stem) {
    const size_t slash = path.find_last_of('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string prefix = "lib" + stem;
    if (base.rfind(prefix, 0) != 0) return false;
    const std::string rest = base.substr(prefix.size());
    if (rest == ".so") return true;
    if (rest.rfind(".v", 0) != 0 || rest.size() < 5 || rest.substr(rest.size() - 3) != ".so") return false;
    for (size_t i = 2; i < rest.size() - 3; i++) if (!(std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '.')) return false;
    return true;
}

struct Found {
    std::vector<std::string> llama;
    std::vector<std::string> ggmlBase;
};

int collect(struct dl_phdr_info* info, size_t, void* data) {
    auto* found = static_cast<Found*>(data);
    if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
    const std::string name = info->dlpi_name;
    if (isLibrary(name, "llama")) found->llama.push_back(name);
    if (isLibrary(name, "ggml-base")) found->ggmlBase.push_back(name);
    return 0;
}

template <typename F>
bool take(void* handle, const char* symbol, F& into, std::string& missing) {
    into = reinterpret_cast<F>(dlsym(handle, symbol));
    if (into == nullptr) missing += std::string(missing.empty() ? "" : ", ") + symbol;
    return into != nullptr;
}

Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
    return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
    return info.Env().Undefined();
#endif
}

/** Finds the loaded libllama and libggml-base (exactly one of each) and their functions. Returns an error or "". */
Napi::Value Attach(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    Found found;
    dl_iterate_phdr(collect, &found);
    std::string problem;
    if (found.llama.size() != 1) problem = "expected one loaded libllama, found " + std::to_string(found.llama.size());
    else if (found.ggmlBase.size() != 1) problem = "expected one loaded libggml-base, found " + std::to_string(found.ggmlBase.size());
    void* llama = nullptr;
    void* ggml = nullptr;
    if (problem.empty()) {
        // RTLD_NOLOAD: a handle to the copy already in the process, or nothing - never a second load.
        llama = dlopen(found.llama[0].c_str(), RTLD_LAZY | RTLD_NOLOAD);
        ggml = dlopen(found.ggmlBase[0].c_str(), RTLD_LAZY | RTLD_NOLOAD);
        if (llama == nullptr || ggml == nullptr) problem = "dlopen(RTLD_NOLOAD) found no loaded copy";
    }
    if (problem.empty()) {
        std::string missing;
        take(ggml, "ggml_backend_tensor_set", fns.tensorSet, missing);
        take(ggml, "ggml_backend_tensor_get", fns.tensorGet, missing);
        take(ggml, "ggml_nbytes", fns.nbytes, missing);
        take(llama, "llama_get_model", fns.getModel, missing);
        take(llama, "llama_n_ctx", fns.nCtx, missing);
        take(llama, "llama_model_n_embd", fns.modelNEmbd, missing);
        if (!missing.empty()) problem = "missing symbols: " + missing;
        fns.setEmbeddings = reinterpret_cast<void (*)(llama_context*, bool)>(dlsym(llama, "llama_set_embeddings"));
    }
    // The handles stay open: dlclose would only drop the reference count RTLD_NOLOAD added.
    fns.attached = problem.empty();
    if (fns.attached) {
        fns.llamaPath = found.llama[0];
        fns.ggmlBasePath = found.ggmlBase[0];
        result.Set("llama", fns.llamaPath);
        result.Set("ggmlBase", fns.ggmlBasePath);
    } else {
        result.Set("error", problem);
    }
    return result;
}

template <typename T>
T* unwrap(const Napi::Value& value, const char* what) {
    Napi::Env env = value.Env();
    if (!value.IsObject()) {
        Napi::TypeError::New(env, std::string(what) + " must be an object").ThrowAsJavaScriptException();
        return nullptr;
    }
    void* pointer = nullptr;
    if (napi_unwrap(env, value, &pointer) != napi_ok || pointer == nullptr) {
        Napi::TypeError::New(env, std::string(what) + " is not a wrapped native object").ThrowAsJavaScriptException();
        return nullptr;
    }
    // node-addon-api's ObjectWrap<T> wraps `static_cast<T*>(this)`.
    return static_cast<T*>(pointer);
}

bool requireAttached(Napi::Env env) {
    if (!fns.attached) Napi::Error::New(env, "haps-native: attach() has not succeeded").ThrowAsJavaScriptException();
    return fns.attached;
}

Napi::Value Address(Napi::Env env, const void* p) {
    return Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)));
}

/** The unwrapped pointer of a node-llama-cpp object, as a BigInt (for pointer comparisons in the self-test). */
Napi::Value WrappedAddress(const Napi::CallbackInfo& info) {
    auto* p = unwrap<void>(info[0], "object");
    if (p == nullptr) return info.Env().Undefined();
    return Address(info.Env(), p);
}

/** AddonModel: its llama_model, its file path, and llama.cpp's own width of that model. */
Napi::Value DescribeModel(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    auto* model = unwrap<AddonModel>(info[0], "model");
    if (model == nullptr) return env.Undefined();
    Napi::Object out = Napi::Object::New(env);
    out.Set("self", Address(env, model));
    out.Set("llamaModel", Address(env, model->model));
    out.Set("loaded", model->modelLoaded && !model->disposed);
    out.Set("modelPath", model->modelPath);
    if (model->model != nullptr && model->modelLoaded && !model->disposed) out.Set("nEmbd", fns.modelNEmbd(model->model));
    return out;
}

/** describeContext(context, deep): its AddonModel; deep: also llama.cpp's model and size of its llama_context. */
Napi::Value DescribeContext(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    auto* context = unwrap<AddonContext>(info[0], "context");
    if (context == nullptr) return env.Undefined();
    Napi::Object out = Napi::Object::New(env);
    out.Set("addonModel", Address(env, context->model));
    // Shallow (the default): only the first field, which the caller checks before trusting any other.
    if (!info[1].ToBoolean()) return out;
    out.Set("loaded", context->contextLoaded && !context->disposed);
    if (context->ctx != nullptr && context->contextLoaded && !context->disposed) {
        out.Set("llamaModel", Address(env, fns.getModel(context->ctx)));
        out.Set("nCtx", fns.nCtx(context->ctx));
    }
    return out;
}

/** describeLora(lora, deep): its AddonModel; deep: its file, and the loaded adapter's model, alpha and tensors. */
Napi::Value DescribeLora(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    auto* lora = unwrap<AddonModelLora>(info[0], "lora");
    if (lora == nullptr) return env.Undefined();
    Napi::Object out = Napi::Object::New(env);
    out.Set("addonModel", Address(env, lora->model));
    if (!info[1].ToBoolean()) return out;
    out.Set("filePath", lora->loraFilePath);
    out.Set("loaded", lora->lora_adapter != nullptr && !lora->disposed);
    if (lora->lora_adapter == nullptr || lora->disposed) return out;
    const llama_adapter_lora* adapter = lora->lora_adapter;
    out.Set("llamaModel", Address(env, adapter->model));
    out.Set("alpha", adapter->alpha);
    Napi::Array tensors = Napi::Array::New(env);
    uint32_t n = 0;
    for (const auto& [name, weight] : adapter->ab_map) {
        for (const ggml_tensor* t : {weight.a, weight.b}) {
            Napi::Object d = Napi::Object::New(env);
            d.Set("weight", name);
            d.Set("name", std::string(t->name));
            d.Set("type", static_cast<int>(t->type));
            Napi::Array ne = Napi::Array::New(env, GGML_MAX_DIMS);
            for (uint32_t i = 0; i < GGML_MAX_DIMS; i++) ne.Set(i, static_cast<double>(t->ne[i]));
            d.Set("ne", ne);
            d.Set("bytes", static_cast<double>(fns.nbytes(t)));
            tensors.Set(n++, d);
        }
    }
    out.Set("tensors", tensors);
    return out;
}

/** The tensor `<weight>.lora_a` or `.lora_b` of a loaded adapter, or null with a JavaScript error thrown. */
ggml_tensor* findTensor(Napi::Env env, const llama_adapter_lora* adapter, const std::string& name) {
    const bool isA = name.size() > 7 && name.compare(name.size() - 7, 7, ".lora_a") == 0;
    const bool isB = name.size() > 7 && name.compare(name.size() - 7, 7, ".lora_b") == 0;
    if (!isA && !isB) {
        Napi::Error::New(env, "writeLora: tensor name must end in .lora_a or .lora_b: " + name).ThrowAsJavaScriptException();
        return nullptr;
    }
    const auto it = adapter->ab_map.find(name.substr(0, name.size() - 7));
    if (it == adapter->ab_map.end()) {
        Napi::Error::New(env, "writeLora: the adapter has no tensor " + name).ThrowAsJavaScriptException();
        return nullptr;
    }
    return isA ? it->second.a : it->second.b;
}

/**
 * writeLora(lora, names: string[], data: Float32Array[]): each array overwrites the whole tensor of that name, in
 * ggml's layout (as the adapter file holds it). Only F32 tensors of exactly the array's size are written; nothing is
 * written unless every pair checks out.
 */
Napi::Value WriteLora(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    auto* lora = unwrap<AddonModelLora>(info[0], "lora");
    if (lora == nullptr) return env.Undefined();
    if (lora->lora_adapter == nullptr || lora->disposed) {
        Napi::Error::New(env, "writeLora: the adapter is not loaded").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    if (!info[1].IsArray() || !info[2].IsArray()) {
        Napi::TypeError::New(env, "writeLora(lora, names, data): names and data must be arrays").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Napi::Array names = info[1].As<Napi::Array>();
    Napi::Array data = info[2].As<Napi::Array>();
    if (names.Length() != data.Length()) {
        Napi::TypeError::New(env, "writeLora: names and data differ in length").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    std::vector<std::pair<ggml_tensor*, Napi::Float32Array>> writes;
    writes.reserve(names.Length());
    for (uint32_t i = 0; i < names.Length(); i++) {
        Napi::Value nameValue = names.Get(i);
        Napi::Value arrayValue = data.Get(i);
        if (!nameValue.IsString() || !arrayValue.IsTypedArray() || arrayValue.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
            Napi::TypeError::New(env, "writeLora: names[" + std::to_string(i) + "] must be a string and data[" + std::to_string(i) + "] a Float32Array").ThrowAsJavaScriptException();
            return env.Undefined();
        }
        const std::string name = nameValue.As<Napi::String>().Utf8Value();
        ggml_tensor* tensor = findTensor(env, lora->lora_adapter, name);
        if (tensor == nullptr) return env.Undefined();
        Napi::Float32Array array = arrayValue.As<Napi::Float32Array>();
        if (tensor->type != GGML_TYPE_F32 || fns.nbytes(tensor) != array.ByteLength()) {
            Napi::Error::New(env, "writeLora: " + name + " holds " + std::to_string(fns.nbytes(tensor)) + " bytes of type " + std::to_string(tensor->type) +
                                      ", given " + std::to_string(array.ByteLength()) + " bytes of float32").ThrowAsJavaScriptException();
            return env.Undefined();
        }
        writes.emplace_back(tensor, array);
    }
    for (auto& [tensor, array] : writes) fns.tensorSet(tensor, array.Data(), 0, array.ByteLength());
    return env.Undefined();
}

/** readLora(lora, name): the tensor's current values (the self-test reads back what it wrote). */
Napi::Value ReadLora(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    auto* lora = unwrap<AddonModelLora>(info[0], "lora");
    if (lora == nullptr) return env.Undefined();
    if (lora->lora_adapter == nullptr || lora->disposed || !info[1].IsString()) {
        Napi::Error::New(env, "readLora(lora, name): a loaded adapter and a tensor name").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    ggml_tensor* tensor = findTensor(env, lora->lora_adapter, info[1].As<Napi::String>().Utf8Value());
    if (tensor == nullptr) return env.Undefined();
    if (tensor->type != GGML_TYPE_F32) {
        Napi::Error::New(env, "readLora: not an F32 tensor").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Napi::Float32Array out = Napi::Float32Array::New(env, fns.nbytes(tensor) / sizeof(float));
    fns.tensorGet(tensor, out.Data(), 0, out.ByteLength());
    return out;
}

/**
 * setEmbeddings(context, on): llama_set_embeddings on the context's llama_context. Off, a decode outputs only the
 * tokens it marks (no output head for the rest, no pooling); on, every token and the pooled embedding.
 */
Napi::Value SetEmbeddings(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    auto* context = unwrap<AddonContext>(info[0], "context");
    if (context == nullptr) return env.Undefined();
    if (fns.setEmbeddings == nullptr) {
        Napi::Error::New(env, "setEmbeddings: llama_set_embeddings is not in the loaded libllama").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    if (context->ctx == nullptr || !context->contextLoaded || context->disposed) {
        Napi::Error::New(env, "setEmbeddings: the context is not loaded").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    fns.setEmbeddings(context->ctx, info[1].ToBoolean());
    return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    exports.Set("setEmbeddings", Napi::Function::New(env, SetEmbeddings));
    exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim));
    exports.Set("attach", Napi::Function::New(env, Attach));
    exports.Set("wrappedAddress", Napi::Function::New(env, WrappedAddress));
    exports.Set("describeModel", Napi::Function::New(env, DescribeModel));
    exports.Set("describeContext", Napi::Function::New(env, DescribeContext));
    exports.Set("describeLora", Napi::Function::New(env, DescribeLora));
    exports.Set("writeLora", Napi::Function::New(env, WriteLora));
    exports.Set("readLora", Napi::Function::New(env, ReadLora));
    // What this binary was compiled against, for the self-test's report.
    exports.Set("nodeLlamaCppHeaders", HAPS_NODE_LLAMA_CPP_VERSION);
    return exports;
}

}  // namespace

NODE_API_MODULE(haps_native, Init)
