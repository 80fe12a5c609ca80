/**
 * The tiny models' `tokenizer.chat_template`: plain "Role: text" lines, which their vocabulary tokenizes as
 * words. It is deliberately not a known format (ChatML and the like need special tokens the models lack), so
 * node-llama-cpp renders it through its Jinja chat wrapper. The end-of-sequence token closes each assistant
 * turn so that a model that emits it ends its answer.
 */
export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}" +
  "{% if message['role'] == 'system' %}{{ 'System: ' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}" +
  "{% else %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}{% endif %}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";
