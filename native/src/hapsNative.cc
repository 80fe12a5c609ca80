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
// - enableLayerInput() / readLayerInput(): llama.cpp's per-layer input capture (llama_set_embeddings_layer_inp /
//   llama_get_embeddings_layer_inp, exported C++-mangled by the pinned build), guarded by an architecture and layer
//   check: llama.cpp aborts the process when a layer or an architecture has no such tensor.
//
// Every function that touches llama.cpp checks its arguments' types and sizes and throws a JavaScript error instead
// of writing out of bounds.
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
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
    /** Optional (layerInputSupport says why when missing): the layer-input capture and what its guard reads. */
    void (*setLayerInput)(llama_context*, uint32_t, bool) = nullptr;
    float* (*getLayerInput)(llama_context*, uint32_t) = nullptr;
    int32_t (*modelNLayer)(const llama_model*) = nullptr;
    int32_t (*modelNLayerNextn)(const llama_model*) = nullptr;
    int32_t (*modelMetaValStr)(const llama_model*, const char*, char*, size_t) = nullptr;
    uint32_t (*nBatch)(const llama_context*) = nullptr;
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
        // The layer-input pair is declared without extern "C" in this llama.cpp (so exported under its C++ name);
        // the plain name is tried first in case a later release fixes that.
        fns.setLayerInput = reinterpret_cast<void (*)(llama_context*, uint32_t, bool)>(dlsym(llama, "llama_set_embeddings_layer_inp"));
        if (fns.setLayerInput == nullptr) fns.setLayerInput = reinterpret_cast<void (*)(llama_context*, uint32_t, bool)>(dlsym(llama, "_Z30llama_set_embeddings_layer_inpP13llama_contextjb"));
        fns.getLayerInput = reinterpret_cast<float* (*)(llama_context*, uint32_t)>(dlsym(llama, "llama_get_embeddings_layer_inp"));
        if (fns.getLayerInput == nullptr) fns.getLayerInput = reinterpret_cast<float* (*)(llama_context*, uint32_t)>(dlsym(llama, "_Z30llama_get_embeddings_layer_inpP13llama_contextj"));
        fns.modelNLayer = reinterpret_cast<int32_t (*)(const llama_model*)>(dlsym(llama, "llama_model_n_layer"));
        fns.modelNLayerNextn = reinterpret_cast<int32_t (*)(const llama_model*)>(dlsym(llama, "llama_model_n_layer_nextn"));
        fns.modelMetaValStr = reinterpret_cast<int32_t (*)(const llama_model*, const char*, char*, size_t)>(dlsym(llama, "llama_model_meta_val_str"));
        fns.nBatch = reinterpret_cast<uint32_t (*)(const llama_context*)>(dlsym(llama, "llama_n_batch"));
    }
    // The handles stay open: dlclose would only drop the reference count RTLD_NOLOAD added.
    fns.attached = problem.empty();
    if (fns.attached) {
        fns.llamaPath = found.llama[0];
        fns.ggmlBasePath = found.ggmlBase[0];
        result.Set("llama", fns.llamaPath);
        result.Set("ggmlBase", fns.ggmlBasePath);
        // Whether the layer-input capture and what its guard reads are all there (the router's layer-input feature).
        result.Set("layerInput", fns.setLayerInput != nullptr && fns.getLayerInput != nullptr && fns.modelNLayer != nullptr && fns.modelMetaValStr != nullptr && fns.nBatch != nullptr);
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

/**
 * Architectures whose graph (src/models/<arch>.cpp of this llama.cpp) sets the layer-input tensor to the residual
 * stream entering every layer il < n_layer (`res->t_layer_inp[il] = inpL` at the top of the layer loop). For any other
 * architecture (qwen2 among them) llama.cpp aborts while building the graph, so none is tried.
 */
const std::set<std::string> kLayerInputArchitectures = {"llama", "qwen3", "qwen3moe", "gemma4", "gpt-oss", "minimax-m2"};

/** Per llama_context, the layers whose input capture this addon enabled (reads of any other layer are refused). */
std::map<const llama_context*, std::set<uint32_t>> enabledLayers;

/** The loaded context of `value`, or null with a JavaScript error thrown. */
AddonContext* loadedContext(const Napi::Value& value, const char* what) {
    Napi::Env env = value.Env();
    auto* context = unwrap<AddonContext>(value, "context");
    if (context == nullptr) return nullptr;
    if (context->ctx == nullptr || !context->contextLoaded || context->disposed) {
        Napi::Error::New(env, std::string(what) + ": the context is not loaded").ThrowAsJavaScriptException();
        return nullptr;
    }
    return context;
}

/** Why the layer-input capture cannot be used on `model` at `layer` (layer < 0: any layer), or "" when it can. */
std::string layerInputProblem(const llama_model* model, int64_t layer, std::string& architecture, int32_t& usableLayers) {
    usableLayers = 0;
    if (fns.setLayerInput == nullptr || fns.getLayerInput == nullptr) return "llama_set/get_embeddings_layer_inp are not in the loaded libllama";
    if (fns.modelNLayer == nullptr || fns.modelMetaValStr == nullptr || fns.nBatch == nullptr) return "llama_model_n_layer, llama_model_meta_val_str or llama_n_batch is not in the loaded libllama";
    char buffer[128] = {0};
    if (fns.modelMetaValStr(model, "general.architecture", buffer, sizeof buffer) < 0) return "the model has no general.architecture";
    architecture = buffer;
    // MTP/NextN blocks are counted in n_layer but never run in the main graph.
    usableLayers = fns.modelNLayer(model) - (fns.modelNLayerNextn != nullptr ? fns.modelNLayerNextn(model) : 0);
    if (kLayerInputArchitectures.count(architecture) == 0) return "architecture \"" + architecture + "\" does not record layer inputs in this llama.cpp";
    if (layer >= 0 && layer >= usableLayers) return "layer " + std::to_string(layer) + " is out of range (the model has layers 0.." + std::to_string(usableLayers - 1) + ")";
    return "";
}

/** layerInputSupport(context): { architecture, layers, error? } - whether the capture can be used on this context's model. */
Napi::Value LayerInputSupport(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    AddonContext* context = loadedContext(info[0], "layerInputSupport");
    if (context == nullptr) return env.Undefined();
    std::string architecture;
    int32_t layers = 0;
    const std::string problem = layerInputProblem(fns.getModel(context->ctx), -1, architecture, layers);
    Napi::Object out = Napi::Object::New(env);
    out.Set("architecture", architecture);
    out.Set("layers", layers);
    if (!problem.empty()) out.Set("error", problem);
    return out;
}

/**
 * enableLayerInput(context, layer): from the next decode on, llama.cpp copies the input of `layer` (the residual
 * stream before that layer's attention norm) for every token of each decode. Throws, without calling llama.cpp, when
 * the architecture or the layer is not one llama.cpp records (it would abort the process).
 */
Napi::Value EnableLayerInput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    AddonContext* context = loadedContext(info[0], "enableLayerInput");
    if (context == nullptr) return env.Undefined();
    if (!info[1].IsNumber() || info[1].As<Napi::Number>().DoubleValue() != static_cast<double>(info[1].As<Napi::Number>().Int64Value())) {
        Napi::TypeError::New(env, "enableLayerInput(context, layer): layer must be an integer").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    const int64_t layer = info[1].As<Napi::Number>().Int64Value();
    std::string architecture;
    int32_t layers = 0;
    std::string problem = layer < 0 ? "layer must be >= 0" : layerInputProblem(fns.getModel(context->ctx), layer, architecture, layers);
    if (!problem.empty()) {
        Napi::Error::New(env, "enableLayerInput: " + problem).ThrowAsJavaScriptException();
        return env.Undefined();
    }
    fns.setLayerInput(context->ctx, static_cast<uint32_t>(layer), true);
    enabledLayers[context->ctx].insert(static_cast<uint32_t>(layer));
    return env.Undefined();
}

/** forgetLayerInput(context): drops this addon's record of the context's enabled layers (call before it is freed). */
Napi::Value ForgetLayerInput(const Napi::CallbackInfo& info) {
    auto* context = unwrap<AddonContext>(info[0], "context");
    if (context != nullptr) enabledLayers.erase(context->ctx);
    return info.Env().Undefined();
}

/**
 * readLayerInput(context, layer, nTokens, pooling): the captured input of `layer` for the first `nTokens` tokens of the
 * last decode (llama.cpp keeps one row per token of that decode, n_batch rows at most, outputs or not), pooled: "mean"
 * (their mean, summed in double) or "last" (the row of token nTokens - 1). A Float64Array of the model's width. Only
 * valid right after a decode of at least nTokens tokens with the capture enabled: the caller guarantees that.
 */
Napi::Value ReadLayerInput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!requireAttached(env)) return env.Undefined();
    AddonContext* context = loadedContext(info[0], "readLayerInput");
    if (context == nullptr) return env.Undefined();
    if (!info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsString()) {
        Napi::TypeError::New(env, "readLayerInput(context, layer, nTokens, pooling)").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    const int64_t layer = info[1].As<Napi::Number>().Int64Value();
    const int64_t nTokens = info[2].As<Napi::Number>().Int64Value();
    const std::string pooling = info[3].As<Napi::String>().Utf8Value();
    const auto enabled = enabledLayers.find(context->ctx);
    if (layer < 0 || enabled == enabledLayers.end() || enabled->second.count(static_cast<uint32_t>(layer)) == 0) {
        Napi::Error::New(env, "readLayerInput: layer " + std::to_string(layer) + " was not enabled on this context").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    const uint32_t rows = fns.nBatch(context->ctx);
    if (nTokens < 1 || nTokens > static_cast<int64_t>(rows)) {
        Napi::RangeError::New(env, "readLayerInput: nTokens must be 1.." + std::to_string(rows) + " (the context's batch), got " + std::to_string(nTokens)).ThrowAsJavaScriptException();
        return env.Undefined();
    }
    if (pooling != "mean" && pooling != "last") {
        Napi::TypeError::New(env, "readLayerInput: pooling must be \"mean\" or \"last\"").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    const int32_t width = fns.modelNEmbd(fns.getModel(context->ctx));
    const float* data = fns.getLayerInput(context->ctx, static_cast<uint32_t>(layer));
    Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(width));
    double* o = out.Data();
    if (pooling == "last") {
        const float* row = data + static_cast<size_t>(nTokens - 1) * width;
        for (int32_t k = 0; k < width; k++) o[k] = row[k];
    } else {
        for (int32_t k = 0; k < width; k++) o[k] = 0;
        for (int64_t t = 0; t < nTokens; t++) {
            const float* row = data + static_cast<size_t>(t) * width;
            for (int32_t k = 0; k < width; k++) o[k] += row[k];
        }
        for (int32_t k = 0; k < width; k++) o[k] /= static_cast<double>(nTokens);
    }
    return out;
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
    exports.Set("layerInputSupport", Napi::Function::New(env, LayerInputSupport));
    exports.Set("enableLayerInput", Napi::Function::New(env, EnableLayerInput));
    exports.Set("forgetLayerInput", Napi::Function::New(env, ForgetLayerInput));
    exports.Set("readLayerInput", Napi::Function::New(env, ReadLayerInput));
    // What this binary was compiled against, for the self-test's report.
    exports.Set("nodeLlamaCppHeaders", HAPS_NODE_LLAMA_CPP_VERSION);
    return exports;
}

}  // namespace

NODE_API_MODULE(haps_native, Init)
