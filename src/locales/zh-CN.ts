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
    INVALID_EMAIL: '邮箱地址无效。',
    INVALID_PHONE: '手机号码无效，请包含国家代码，例如 +8613800138000。',
    UNSUPPORTED_LOCALE: '不支持该语言。',
    INVALID_CODE: '验证码不正确，还可尝试 {{attemptsLeft}} 次。',
    CODE_EXPIRED: '验证码已过期或已使用，请重新获取。',
    CHALLENGE_NOT_FOUND: '该登录请求不存在，请重新获取验证码。',
    TOO_MANY_ATTEMPTS: '错误次数过多，请重新获取验证码。',
    CSRF_FAILED: '无法验证该请求，请刷新页面后重试。',
    ACCOUNT_DISABLED: '该账户已被停用。',
  },
  notifications: {
    footer: '{{brand}} · 此邮件由系统自动发送，请勿回复。',
    sign_in_code: {
      subject: '您的{{brand}}登录验证码：{{code}}',
      text: '您的登录验证码是 {{code}}，{{minutes}} 分钟内有效。如果这不是您本人的操作，请忽略此消息：没有验证码任何人都无法登录。',
      sms: '【{{brand}}】您的登录验证码是 {{code}}（{{minutes}} 分钟内有效），请勿告诉他人。',
    },
  },
};
