"""A small knowledge base in three languages, with callers' paraphrases, for the kb tests.

Written for these tests (not the sample base in knowledge/, which others edit): ten topics per
language, questions phrased as callers say them, and questions no entry answers.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# (key, category, question, alternates, answer) per language
BASE: dict[str, list[tuple[str, str, str, list[str], str]]] = {
    "vi": [
        ("card-lost", "health-card", "Tôi bị mất thẻ bảo hiểm y tế thì phải làm gì?",
         ["mất thẻ bảo hiểm", "làm lại thẻ bảo hiểm y tế bị mất"],
         "Quý khách đến cơ quan bảo hiểm xã hội nơi cư trú để được cấp lại thẻ."),
        ("card-expired", "health-card", "Thẻ bảo hiểm y tế hết hạn thì gia hạn thế nào?",
         ["gia hạn thẻ bảo hiểm y tế", "thẻ quá hạn sử dụng", "thẻ hết hạn phải làm sao"],
         "Quý khách gia hạn tại điểm thu hoặc trên ứng dụng VssID."),
        ("change-hospital", "health-card", "Muốn đổi nơi khám chữa bệnh ban đầu thì làm sao?",
         ["đổi bệnh viện đăng ký khám", "chuyển nơi đăng ký khám bệnh"],
         "Quý khách được đổi nơi khám chữa bệnh ban đầu vào đầu mỗi quý."),
        ("contribution-history", "contributions", "Làm sao xem quá trình đóng bảo hiểm xã hội?",
         ["tra cứu số năm đã đóng bảo hiểm", "kiểm tra thời gian tham gia bảo hiểm"],
         "Quý khách tra cứu trên ứng dụng VssID hoặc gọi tổng đài."),
        ("pension-age", "pension", "Bao nhiêu tuổi thì được nghỉ hưu?",
         ["tuổi nghỉ hưu", "tuổi về hưu của nam và nữ"],
         "Tuổi nghỉ hưu tăng dần theo lộ trình: nam 62, nữ 60 từ năm 2035."),
        ("pension-payment-date", "pension", "Lương hưu được trả vào ngày nào hằng tháng?",
         ["ngày nhận lương hưu", "khi nào có tiền lương hưu"],
         "Lương hưu được chi trả từ ngày 2 đến ngày 25 hằng tháng."),
        ("lump-sum", "pension", "Rút bảo hiểm xã hội một lần cần điều kiện gì?",
         ["nhận bảo hiểm xã hội một lần", "lãnh tiền bảo hiểm một lần"],
         "Quý khách được nhận một lần khi đủ tuổi hưu mà chưa đủ năm đóng, hoặc ra nước ngoài."),
        ("maternity-benefit", "sickness-maternity", "Chế độ thai sản được hưởng bao nhiêu tiền?",
         ["tiền thai sản khi sinh con", "nghỉ sinh con được bao nhiêu tháng"],
         "Lao động nữ sinh con được nghỉ sáu tháng, hưởng 100% mức lương bình quân."),
        ("unemployment-apply", "unemployment", "Làm hồ sơ hưởng trợ cấp thất nghiệp ở đâu?",
         ["nộp hồ sơ thất nghiệp", "mất việc thì nhận trợ cấp thế nào"],
         "Quý khách nộp hồ sơ tại trung tâm dịch vụ việc làm trong ba tháng sau khi nghỉ việc."),
        ("hotline-hours", "hotline", "Tổng đài làm việc vào giờ nào?",
         ["giờ làm việc của tổng đài", "mấy giờ thì gọi được nhân viên"],
         "Tổng đài viên trả lời từ 7 giờ đến 17 giờ, thứ Hai đến thứ Sáu."),
    ],
    "zh": [
        ("card-lost", "health-card", "我的医保卡丢了怎么办？", ["医保卡丢失", "补办医保卡"],
         "请带身份证到社保机构补办。"),
        ("card-expired", "health-card", "医保卡过期了怎么续期？", ["医保卡到期", "医保卡续费"],
         "请在收费点或VssID应用上续期。"),
        ("change-hospital", "health-card", "怎么更换首诊医院？", ["换定点医院", "改初诊医疗机构"],
         "每个季度初可以更换首诊医院。"),
        ("contribution-history", "contributions", "怎么查询社保缴费记录？",
         ["查缴费年限", "我交了几年社保"], "请在VssID应用上查询或致电热线。"),
        ("pension-age", "pension", "多大年龄可以退休？", ["退休年龄", "男女退休年龄是多少"],
         "退休年龄逐步提高：2035年起男62岁，女60岁。"),
        ("pension-payment-date", "pension", "养老金每月几号发放？",
         ["退休金什么时候到账", "领取养老金的日期"], "养老金每月2日至25日发放。"),
        ("lump-sum", "pension", "一次性领取社保需要什么条件？",
         ["一次性提取社会保险", "社保一次性退保"],
         "达到退休年龄但缴费年限不足，或出国定居时可以领取。"),
        ("maternity-benefit", "sickness-maternity", "生育津贴能领多少钱？",
         ["产假有几个月", "生孩子的补贴"], "女职工生育可休产假六个月，领取全额工资。"),
        ("unemployment-apply", "unemployment", "失业保险金在哪里申请？",
         ["申请失业金", "失业了怎么领补助"], "请在离职后三个月内到就业服务中心提交材料。"),
        ("hotline-hours", "hotline", "热线的工作时间是几点？",
         ["热线几点上班", "什么时候能打通人工客服"], "人工客服周一至周五7点到17点接听。"),
    ],
    "en": [
        ("card-lost", "health-card", "I lost my health insurance card, what should I do?",
         ["lost insurance card", "replace a missing health card"],
         "Bring your ID to the social insurance office where you live for a new card."),
        ("card-expired", "health-card", "My health insurance card has expired, how do I renew it?",
         ["renew health insurance card", "card out of date"],
         "Renew it at a collection point or in the VssID app."),
        ("change-hospital", "health-card", "How do I change my registered hospital?",
         ["switch the hospital on my card", "change the clinic where I am registered"],
         "You may change it at the start of each quarter."),
        ("contribution-history", "contributions", "How can I check my contribution history?",
         ["how many years have I paid social insurance", "see my payment record"],
         "Look it up in the VssID app or call the hotline."),
        ("pension-age", "pension", "At what age can I retire?",
         ["retirement age", "when do men and women retire"],
         "The retirement age rises gradually: 62 for men and 60 for women from 2035."),
        ("pension-payment-date", "pension", "On which day is the pension paid each month?",
         ["pension payment date", "when does my pension arrive"],
         "Pensions are paid between the 2nd and the 25th of each month."),
        ("lump-sum", "pension", "Can I withdraw my social insurance as a lump sum?",
         ["one-time social insurance payment", "cash out my social insurance"],
         "Yes, at retirement age without enough years, or when settling abroad."),
        ("maternity-benefit", "sickness-maternity", "How much maternity benefit will I get?",
         ["maternity leave pay", "how long is maternity leave"],
         "Six months of leave at full average salary."),
        ("unemployment-apply", "unemployment", "Where do I apply for unemployment benefit?",
         ["claim unemployment allowance", "I lost my job, how do I get support"],
         "Apply at the employment service centre within three months of leaving work."),
        ("hotline-hours", "hotline", "What are the opening hours of the hotline?",
         ["when can I talk to an operator", "hotline working hours"],
         "Operators answer from 7:00 to 17:00, Monday to Friday."),
    ],
}  # fmt: skip

# Callers' own words: (question, expected key or None when no entry answers it)
PARAPHRASES: dict[str, list[tuple[str, str | None]]] = {
    "vi": [
        ("em làm mất cái thẻ bảo hiểm rồi giờ sao", "card-lost"),
        ("thẻ bảo hiểm hết hạn rồi phải làm gì", "card-expired"),
        ("tôi muốn chuyển sang bệnh viện khác để khám", "change-hospital"),
        ("cho tôi hỏi tôi đã đóng bảo hiểm được mấy năm rồi", "contribution-history"),
        ("mấy tuổi thì được về hưu vậy", "pension-age"),
        ("ngày mấy thì nhận được lương hưu", "pension-payment-date"),
        ("tôi muốn rút bảo hiểm một lần có được không", "lump-sum"),
        ("sinh con thì được nghỉ mấy tháng", "maternity-benefit"),
        ("bị mất việc thì xin trợ cấp ở đâu", "unemployment-apply"),
        ("mấy giờ tổng đài làm việc", "hotline-hours"),
        ("thời tiết hà nội ngày mai thế nào", None),
        ("cho tôi đặt một chiếc bánh pizza", None),
        ("giá vàng hôm nay bao nhiêu", None),
    ],
    "zh": [
        ("我把医保卡弄丢了", "card-lost"),
        ("医保卡到期了怎么办", "card-expired"),
        ("我想换一家医院看病", "change-hospital"),
        ("我已经交了多少年社保", "contribution-history"),
        ("几岁能退休", "pension-age"),
        ("退休金几号到账", "pension-payment-date"),
        ("社保可以一次性取出来吗", "lump-sum"),
        ("生孩子能休多久产假", "maternity-benefit"),
        ("失业了去哪里领失业金", "unemployment-apply"),
        ("热线几点开始上班", "hotline-hours"),
        ("明天河内天气怎么样", None),
        ("帮我订一个披萨", None),
        ("今天金价多少", None),
    ],
    "en": [
        ("I misplaced my insurance card", "card-lost"),
        ("my card expired what now", "card-expired"),
        ("I want to switch to a different hospital", "change-hospital"),
        ("how many years of contributions do I have", "contribution-history"),
        ("how old do I have to be to retire", "pension-age"),
        ("what date do pensions get paid", "pension-payment-date"),
        ("can I take out all my social insurance money at once", "lump-sum"),
        ("how long can I stay home after having a baby", "maternity-benefit"),
        ("I was laid off where can I claim benefits", "unemployment-apply"),
        ("what time does the hotline open", "hotline-hours"),
        ("what is the weather in Hanoi tomorrow", None),
        ("order me a pizza please", None),
        ("what is the price of gold today", None),
    ],
}


def write_base(folder: Path) -> Path:
    """``folder/{vi,zh,en}.yaml`` in the format of knowledge/."""
    folder.mkdir(parents=True, exist_ok=True)
    for language, rows in BASE.items():
        entries = [
            {
                "key": key,
                "category": category,
                "tags": [key.split("-")[0]],
                "question": question,
                "alternates": alternates,
                "answer": answer,
            }
            for key, category, question, alternates, answer in rows
        ]
        data = {"language": language, "entries": entries}
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / f"{language}.yaml").write_text(text, encoding="utf-8")
    return folder
