import { DEAD_LETTER_INDEX } from '../names';

/**
 * The dead-letter index keeps what could not be indexed with the original bytes, where it came from and why.
 * `original` is stored but not indexed: it can be anything, including binary junk that would break a mapping.
 */
export const DEAD_LETTER_TEMPLATE_VERSION = 1;

export function deadLetterTemplate(options: { replicas: number }) {
  return {
    name: DEAD_LETTER_INDEX,
    body: {
      index_patterns: [DEAD_LETTER_INDEX, `${DEAD_LETTER_INDEX}-*`],
      priority: 200,
      _meta: { managed_by: 'vigil', version: DEAD_LETTER_TEMPLATE_VERSION },
      template: {
        settings: { number_of_shards: 1, number_of_replicas: options.replicas, refresh_interval: '5s' },
        mappings: {
          dynamic: 'strict' as const,
          properties: {
            '@timestamp': { type: 'date' },
            event: {
              properties: {
                dataset: { type: 'keyword' },
                kind: { type: 'keyword' },
                ingested: { type: 'date' },
              },
            },
            error: {
              properties: {
                type: { type: 'keyword' },
                message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } },
                code: { type: 'keyword' },
              },
            },
            observer: { properties: { name: { type: 'keyword' } } },
            log: {
              properties: {
                file: { properties: { path: { type: 'keyword' } } },
                offset: { type: 'long' },
              },
            },
            vigil: {
              properties: {
                dead_letter: {
                  properties: {
                    stage: { type: 'keyword' },
                    source_key: { type: 'keyword' },
                    end_offset: { type: 'long' },
                    log_type: { type: 'keyword' },
                    target_index: { type: 'keyword' },
                    http_status: { type: 'short' },
                    original: { type: 'keyword', index: false, doc_values: false },
                    original_base64: { type: 'binary' },
                    original_bytes: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
