/* notice_texts: welcome and farewell notice texts (UTF-8 Chinese). */
#include "notice_texts.h"

#include <inttypes.h>

#include "util.h"

static const char *
consortium_or_default(const char *consortium)
{
    return str_empty(consortium) ? "本联合体" : consortium;
}

char *
notice_id_for(const char *kind, const char *producer, uint64_t seq)
{
    return xasprintf("%s:%s:%" PRIu64, kind, producer, seq);
}

void
notice_welcome(const char *consortium, const char *member_name, char **title,
               char **body)
{
    const char *c = consortium_or_default(consortium);

    *title = xasprintf("欢迎加入%s", c);
    *body = xasprintf(
        "%s：\n"
        "经联合体牵头部门审议，贵单位已正式成为%s成员单位，特此欢迎！\n"
        "秘书处将陆续向贵单位发送联合体章程、理事会安排和近期工作计划。"
        "请确认本通知，并通过秘书处告知贵单位的联络人。",
        member_name, c);
}

void
notice_farewell(const char *consortium, const char *member_name,
                bool expelled, char **title, char **body)
{
    const char *c = consortium_or_default(consortium);

    if (expelled) {
        *title = xasprintf("关于%s不再为%s成员单位的通知", member_name, c);
        *body = xasprintf(
            "%s：\n"
            "根据联合体牵头部门的决定，贵单位自即日起不再是%s成员单位。"
            "如有异议，请与秘书处联系。",
            member_name, c);
    } else {
        *title = xasprintf("感谢%s对%s的参与", member_name, c);
        *body = xasprintf(
            "%s：\n"
            "贵单位已退出%s。感谢贵单位在联合体期间的支持与贡献，"
            "期待今后继续合作。",
            member_name, c);
    }
}
