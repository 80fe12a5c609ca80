// A JSON schema that llama.cpp cannot turn into a grammar (node-llama-cpp throws only "Failed to parse grammar"): its
// own class, so that a server can answer it as the caller's bad input rather than as its own failure.
export class JsonSchemaError extends Error {
  override name = "JsonSchemaError";
}
