export type {
  AgentCall,
  AgentCallHooks,
  AgentEndpoint,
  AgentPair,
  AgentReply,
  AgentRole,
  EpisodeOutcome,
  MultipleChoiceOptions,
  ParagraphRetriever,
  ParsedAction,
  ProtocolOptions,
  RetrievalHit,
  SearchQaOptions,
  StopReason,
  TokenCount,
  Turn,
} from "./types.ts";
export { SearchQaProtocol, type SearchQaTask } from "./SearchQaProtocol.ts";
export { MultipleChoiceProtocol, type MultipleChoiceTask } from "./MultipleChoiceProtocol.ts";
export { LlamaAgentEndpoint, type LlamaAgentOptions } from "./LlamaAgentEndpoint.ts";
export { DEFAULT_FIELD_LIMITS, type FieldLimits } from "./actionSchemas.ts";
export {
  parseStudentStep,
  parseStudentStepJson,
  parseTeacherReview,
  parseTeacherReviewJson,
  parseChoiceReply,
  parseChoiceReplyJson,
  parseDecisionReply,
  parseDecisionReplyJson,
  type ParsedReply,
} from "./parseActions.ts";
