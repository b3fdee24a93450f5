import type { ServerMessages } from './en.js';

export const zhCN: ServerMessages = {
  errors: {
    VALIDATION_FAILED: '请求无效：{{reason}}',
    MALFORMED_JSON: '请求内容不是有效的 JSON。',
    UNSUPPORTED_MEDIA_TYPE: '此处不接受该内容类型。',
    UNAUTHENTICATED: '请先登录。',
    FORBIDDEN: '您无权执行此操作。',
    NOT_FOUND: '未找到相关内容。',
    CONFLICT: '与当前状态冲突，请刷新后重试。',
    PAYLOAD_TOO_LARGE: '请求内容过大。',
    RATE_LIMITED: '请求过于频繁，请在 {{retryAfter}} 秒后重试。',
    INTERNAL: '服务出现问题，我们已记录，请稍后重试。',
    UNAVAILABLE: '服务暂时不可用，请稍后重试。',
  },
};
