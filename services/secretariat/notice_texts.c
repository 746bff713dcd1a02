/* notice_texts: the texts of the secretariat's own notices (UTF-8
 * Chinese): welcome and farewell, early warnings, rectification orders,
 * evaluation results, incentive pool alerts, overdue milestones. */
#include "notice_texts.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cogov/v1/envelope.pb-c.h"
#include "util.h"

#define WK(x) COGOV__V1__WARNING_KIND__WARNING_KIND_##x
#define GR(x) COGOV__V1__GRADE__GRADE_##x

static const char *
consortium_or_default(const char *consortium)
{
    return str_empty(consortium) ? "本联合体" : consortium;
}

static const char *
or_default(const char *s, const char *dflt)
{
    return str_empty(s) ? dflt : s;
}

/* What printf's "%s" prints for s (glibc: "(null)" for NULL), for the
 * texts joined with xconcat instead of xasprintf (made once per event). */
static const char *
pct_s(const char *s)
{
    return s != NULL ? s : "(null)";
}

char *
notice_id_for(const char *kind, const char *producer, uint64_t seq)
{
    char n[24];

    fmt_u64(n, seq);
    return xconcat(pct_s(kind), ":", pct_s(producer), ":", n, NULL);
}

char *
notice_id_for_member(const char *kind, const char *producer, uint64_t seq,
                     const char *member_id)
{
    char n[24];

    fmt_u64(n, seq);
    return xconcat(pct_s(kind), ":", pct_s(producer), ":", n, ":",
                   pct_s(member_id), NULL);
}

/* Append n bytes of s at `at` of buf[size] as far as they fit (the last
 * byte kept for the NUL); returns at + n, as snprintf counts. */
static size_t
put(char *buf, size_t size, size_t at, const char *s, size_t n)
{
    if (at + 1 < size) {
        size_t k = size - 1 - at;
        memcpy(buf + at, s, n < k ? n : k);
    }
    return at + n;
}

size_t
notice_published_fields(char *buf, size_t size, const char *notice, int kind,
                        size_t to, const char *corr)
{
    char k[24], n[24];
    size_t len = 0, kl = 0;

    if (kind < 0)
        k[kl++] = '-';
    kl += fmt_u64(k + kl, kind < 0 ? (uint64_t)0 - (uint64_t)(int64_t)kind
                                   : (uint64_t)kind);
    notice = pct_s(notice);
    corr = pct_s(corr);
    len = put(buf, size, len, "notice=", 7);
    len = put(buf, size, len, notice, strlen(notice));
    len = put(buf, size, len, " kind=", 6);
    len = put(buf, size, len, k, kl);
    len = put(buf, size, len, " to=", 4);
    len = put(buf, size, len, n, fmt_u64(n, to));
    len = put(buf, size, len, " corr=", 6);
    len = put(buf, size, len, corr, strlen(corr));
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}

char *
notice_yuan(int64_t fen)
{
    uint64_t a = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;

    return xasprintf("%s%" PRIu64 ".%02" PRIu64 " 元", fen < 0 ? "-" : "",
                     a / 100, a % 100);
}

const char *
notice_warning_label(int warning_kind)
{
    switch (warning_kind) {
    case WK(MILESTONE_OVERDUE):
        return "任务节点逾期";
    case WK(INACTIVE):
        return "长期无工作进展";
    case WK(ABSENCE_STREAK):
        return "连续缺席会议";
    case WK(PLEDGE_MISSED):
        return "资源承诺未兑现";
    case WK(INQUIRY_OVERDUE):
        return "诉求逾期未答复";
    case WK(POOL_LOW):
        return "激励资金余额不足";
    default:
        return "履约风险";
    }
}

const char *
notice_grade_label(int grade)
{
    switch (grade) {
    case GR(EXCELLENT):
        return "优秀";
    case GR(GOOD):
        return "良好";
    case GR(PASS):
        return "合格";
    case GR(FAIL):
        return "不合格";
    default:
        return "未评定";
    }
}

void
notice_welcome(const char *consortium, const char *member_name, char **title,
               char **body)
{
    const char *c = consortium_or_default(consortium);

    *title = xconcat("欢迎加入", c, NULL);
    *body = xconcat(pct_s(member_name),
                    "：\n"
                    "经联合体牵头部门审议，贵单位已正式成为",
                    c,
                    "成员单位，特此欢迎！\n"
                    "秘书处将陆续向贵单位发送联合体章程、理事会安排和近期工作"
                    "计划。请确认本通知，并通过秘书处告知贵单位的联络人。",
                    NULL);
}

void
notice_farewell(const char *consortium, const char *member_name, bool expelled,
                char **title, char **body)
{
    const char *c = consortium_or_default(consortium);
    const char *m = pct_s(member_name);

    if (expelled) {
        *title = xconcat("关于", m, "不再为", c, "成员单位的通知", NULL);
        *body = xconcat(m,
                        "：\n"
                        "根据联合体牵头部门的决定，贵单位自即日起不再是",
                        c,
                        "成员单位。"
                        "如有异议，请与秘书处联系。",
                        NULL);
    } else {
        *title = xconcat("感谢", m, "对", c, "的参与", NULL);
        *body = xconcat(m, "：\n贵单位已退出", c,
                        "。感谢贵单位在联合体期间的支持与贡献，"
                        "期待今后继续合作。",
                        NULL);
    }
}

void
notice_warning(const char *consortium, const char *member_name,
               int warning_kind, const char *detail, char **title, char **body)
{
    const char *label = notice_warning_label(warning_kind);

    *title = xasprintf("预警通知：%s", label);
    *body = xasprintf(
        "%s：\n"
        "%s监督评价工作发现贵单位存在以下情况：%s。\n"
        "具体情况：%s\n"
        "请贵单位高度重视，及时核查并采取措施；如有疑问，请与秘书处联系。",
        or_default(member_name, "成员单位"), consortium_or_default(consortium),
        label, or_default(detail, "详见监督评价系统中的预警记录。"));
}

void
notice_rectification(const char *consortium, const char *member_name,
                     const char *findings, const char *evidence,
                     const char *due_on, char **title, char **body)
{
    *title =
        xasprintf("关于%s限期整改的通知", or_default(member_name, "成员单位"));
    *body = xasprintf(
        "%s：\n"
        "根据%s监督评价工作安排，贵单位需就以下问题进行整改：\n"
        "%s\n"
        "需提交的整改材料：%s\n"
        "整改期限：%s（含当日）。\n"
        "请按期提交整改报告；逾期未整改的，将按章程报牵头部门处理。",
        or_default(member_name, "成员单位"), consortium_or_default(consortium),
        or_default(findings, "详见监督评价部门的整改通知书。"),
        or_default(evidence, "整改报告及相关佐证材料"),
        or_default(due_on, "另行通知"));
}

void
notice_evaluation(const char *consortium, const char *member_name,
                  const char *period, int64_t total, int grade,
                  bool veto_failed, const char *veto_key, char **title,
                  char **body)
{
    uint64_t t = total < 0 ? 0 : (uint64_t)total;
    char *veto = NULL;

    if (str_empty(period))
        *title = xstrdup("考核评价结果通知");
    else
        *title = xasprintf("%s考核评价结果通知", period);
    if (veto_failed)
        veto = xasprintf("因否决性指标%s%s%s未达标，等级评定为不合格。\n",
                         str_empty(veto_key) ? "" : "（",
                         str_empty(veto_key) ? "" : veto_key,
                         str_empty(veto_key) ? "" : "）");
    *body = xasprintf(
        "%s：\n"
        "%s%s%s考核评价结果已经发布。贵单位得分 %" PRIu64 ".%02" PRIu64
        " 分，等级：%s。\n"
        "%s"
        "评价结果逐一送达各成员单位，本通知仅载明贵单位结果。"
        "如有异议，请与秘书处联系。",
        or_default(member_name, "成员单位"), consortium_or_default(consortium),
        str_empty(period) ? "" : period, str_empty(period) ? "" : "期", t / 100,
        t % 100, notice_grade_label(grade), veto ? veto : "");
    free(veto);
}

void
notice_pool(const char *consortium, bool exhausted, const char *pool_id,
            int64_t budget_fen, int64_t available_fen, int64_t queued_fen,
            char **title, char **body)
{
    char *budget = notice_yuan(budget_fen);
    char *avail = notice_yuan(available_fen);
    char *queued = notice_yuan(queued_fen);

    *title = xstrdup(exhausted ? "关于激励资金池已用尽的通知"
                               : "关于激励资金池余额不足的提示");
    *body = xasprintf(
        "理事会各成员单位：\n"
        "%s激励资金池（%s）预算 %s，当前可用 %s，排队待拨付 %s。\n"
        "%s",
        consortium_or_default(consortium), or_default(pool_id, "默认"), budget,
        avail, queued,
        exhausted ? "资金池已不足以支付新核定的奖励，相关奖励已进入排队。"
                    "请理事会研究追加预算或调整激励政策。"
                  : "可用余额已低于预警线，请理事会提前研究资金安排。");
    free(budget);
    free(avail);
    free(queued);
}

void
notice_milestone_overdue(const char *member_name, const char *task_id,
                         const char *task_title, const char *milestone_title,
                         const char *due_on, char **title, char **body)
{
    const char *ms = or_default(milestone_title, "任务节点");

    *title = xasprintf("提醒：任务节点“%s”已逾期", ms);
    *body = xasprintf(
        "%s：\n"
        "贵单位牵头的任务《%s》（编号 %s）的节点“%s”应于 %s 前完成，"
        "目前尚未完成。请尽快推进并报告进展；如需协调，请与秘书处联系。",
        or_default(member_name, "牵头单位"),
        or_default(task_title, "未命名任务"), or_default(task_id, "未知"), ms,
        or_default(due_on, "规定日期"));
}
