import type { z } from 'zod';
import { zhCN as zodZhCN } from 'zod/locales';

/** The JavaScript type and origin names zod's zh-CN messages leave in English ("期望 string"). */
const NAMES: Record<string, string> = {
  string: '文本',
  number: '数字',
  int: '整数',
  bigint: '大整数',
  boolean: '布尔值',
  object: '对象',
  array: '数组',
  date: '日期',
  file: '文件',
  set: '集合',
  map: '映射',
  undefined: '未填写(undefined)',
  null: '空值(null)',
};

/**
 * zod's zh-CN locale with the type names it leaves in English said in Chinese, for the server's row errors and
 * the client's forms alike: `z.config(zhCN())` or `schema.safeParse(x, { error: zhCN().localeError })`.
 */
export function zhCN(): { localeError: z.core.$ZodErrorMap } {
  const base = zodZhCN().localeError!;
  return {
    localeError: (issue) => {
      const said = base(issue);
      const message = typeof said === 'string' ? said : said?.message;
      return message?.replace(/(期望|实际接收) ([a-z]+)\b/g, (whole, verb: string, name: string) => (NAMES[name] ? `${verb} ${NAMES[name]}` : whole));
    },
  };
}
