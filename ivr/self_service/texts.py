"""What the self-service steps say, per language, and the phrases a caller may answer with.

Numbers inside these texts are filled in as words (``ivr.tts.verbalize``): espeak-ng reads
numerals by its own guesses. Texts with a caller's own data are never cached (see
``PromptCache.stream(keep=False)``) and never logged.
"""

from __future__ import annotations

SAY: dict[str, dict[str, str]] = {
    "ask_number": {
        "vi": "Vui lòng nhập mã số bảo hiểm xã hội gồm mười chữ số, hoặc số căn cước gồm mười"
        " hai chữ số, rồi nhấn phím thăng. Quý khách cũng có thể đọc từng chữ số.",
        "zh": "请输入十位社保号码或十二位身份证号码，然后按井号键。您也可以逐位说出号码。",
        "en": "Please enter your ten digit insurance number, or your twelve digit ID card"
        " number, then press hash. You can also say the digits.",
    },
    "bad_length": {
        "vi": "Mã số bảo hiểm có mười chữ số, số căn cước có mười hai chữ số.",
        "zh": "社保号码为十位，身份证号码为十二位。",
        "en": "An insurance number has ten digits, and an ID card number twelve.",
    },
    "ani_hint": {
        "vi": "Chúng tôi nhận ra số điện thoại quý khách đang gọi. Để tra cứu mã số bảo hiểm"
        " có bốn số cuối là {last4}, nhấn phím 1 hoặc nói có. Để nhập số khác, nhấn phím 2"
        " hoặc nói không.",
        "zh": "我们识别到您的来电号码。查询尾号为{last4}的社保号码请按1或说是，"
        "输入其他号码请按2或说不是。",
        "en": "We recognise the phone you are calling from. For the insurance number ending in"
        " {last4}, press 1 or say yes. To enter another number, press 2 or say no.",
    },
    "you_entered": {
        "vi": "Quý khách đã nhập {digits}.",
        "zh": "您输入的是{digits}。",
        "en": "You entered {digits}.",
    },
    "confirm": {
        "vi": "Nếu đúng, nhấn phím 1 hoặc nói đúng. Để nhập lại, nhấn phím 2 hoặc nói không.",
        "zh": "正确请按1或说对，重新输入请按2或说不对。",
        "en": "Press 1 or say yes if correct, 2 or say no to re-enter.",
    },
    "not_found": {
        "vi": "Chúng tôi không tìm thấy tài khoản với số này.",
        "zh": "未找到该号码对应的账户。",
        "en": "We could not find an account with that number.",
    },
    "ask_secret": {
        "vi": "Vui lòng nhập mã PIN gồm bốn chữ số, hoặc ngày sinh gồm tám chữ số theo thứ tự"
        " ngày, tháng, năm, rồi nhấn phím thăng.",
        "zh": "请输入四位密码，或按日、月、年的顺序输入八位出生日期，然后按井号键。",
        "en": "Please enter your four digit PIN, or your date of birth as eight digits, day,"
        " month and year, then press hash.",
    },
    "bad_secret": {
        "vi": "Mã PIN có bốn chữ số, ngày sinh có tám chữ số.",
        "zh": "密码为四位，出生日期为八位。",
        "en": "A PIN has four digits, and a date of birth eight.",
    },
    "wrong_secret": {
        "vi": "Thông tin vừa nhập không khớp với hồ sơ.",
        "zh": "您输入的信息与记录不符。",
        "en": "That does not match our records.",
    },
    "locked": {
        "vi": "Để bảo vệ tài khoản, việc tra cứu qua điện thoại đã tạm khóa vì nhập sai quá"
        " nhiều lần. Vui lòng thử lại sau {minutes} phút, hoặc gặp tư vấn viên.",
        "zh": "为保护您的账户安全，由于错误次数过多，电话查询已暂时锁定。"
        "请在{minutes}分钟后再试，或转接人工客服。",
        "en": "For your security, phone access is locked after too many failed attempts."
        " Please try again in {minutes} minutes, or speak to an agent.",
    },
    "unavailable": {
        "vi": "Xin lỗi, hiện chưa kết nối được hệ thống tra cứu tài khoản.",
        "zh": "抱歉，暂时无法连接账户系统。",
        "en": "Sorry, we cannot reach the account system right now.",
    },
    "offer_help": {
        "vi": "Để gặp tư vấn viên, nhấn phím 1 hoặc nói tư vấn viên. Để chúng tôi gọi lại,"
        " nhấn phím 2 hoặc nói gọi lại.",
        "zh": "转接人工客服请按1或说人工，预约回电请按2或说回电。",
        "en": "To speak to an agent, press 1 or say agent. To have us call you back, press 2"
        " or say call back.",
    },
    "callback_booked": {
        "vi": "Chúng tôi sẽ gọi lại cho quý khách theo số này trong thời gian sớm nhất.",
        "zh": "我们会尽快按此号码给您回电。",
        "en": "We will call you back on this number as soon as we can.",
    },
    "callback_hidden": {
        "vi": "Số điện thoại của quý khách đang ẩn nên chúng tôi không thể gọi lại.",
        "zh": "您的号码已隐藏，我们无法回电。",
        "en": "Your number is hidden, so we cannot call you back.",
    },
    "balance": {
        "vi": "Số dư tài khoản của quý khách là {amount}.",
        "zh": "您的账户余额为{amount}。",
        "en": "Your account balance is {amount}.",
    },
    "last_contribution": {
        "vi": "Lần đóng gần nhất là {amount}, vào {date}.",
        "zh": "最近一次缴费为{date}，金额{amount}。",
        "en": "Your last contribution was {amount}, on {date}.",
    },
    "no_contribution": {
        "vi": "Chưa có khoản đóng nào được ghi nhận.",
        "zh": "暂无缴费记录。",
        "en": "No contribution has been recorded yet.",
    },
    "covered_until": {
        "vi": "Thẻ bảo hiểm y tế có giá trị đến {date}.",
        "zh": "您的医保有效期至{date}。",
        "en": "Your health insurance card is valid until {date}.",
    },
    "coverage_ended": {
        "vi": "Thẻ bảo hiểm y tế đã hết hạn từ {date}.",
        "zh": "您的医保已于{date}到期。",
        "en": "Your health insurance card expired on {date}.",
    },
    "balance_menu": {
        "vi": "Để nghe lại, nhấn phím 1 hoặc nói nghe lại. Để nhận tin nhắn, nhấn phím 2 hoặc"
        " nói tin nhắn. Để quay lại menu chính, nhấn phím 9 hoặc nói quay lại.",
        "zh": "重听请按1或说重听，短信发送请按2或说短信，返回主菜单请按9或说返回。",
        "en": "To hear this again, press 1 or say repeat. To get it by text message, press 2"
        " or say message. For the main menu, press 9 or say menu.",
    },
    "sms_queued": {
        "vi": "Chúng tôi đang gửi tin nhắn đến số điện thoại đã đăng ký có bốn số cuối là {last4}.",
        "zh": "我们正在向您尾号为{last4}的登记手机发送短信。",
        "en": "We are sending a text message to your registered mobile ending in {last4}.",
    },
    "sms_none": {
        "vi": "Tài khoản chưa đăng ký số điện thoại di động nên chúng tôi không thể gửi tin nhắn.",
        "zh": "该账户没有登记手机号码，无法发送短信。",
        "en": "No mobile number is registered for this account, so we cannot send a text.",
    },
    "sms_failed": {
        "vi": "Xin lỗi, hiện chưa gửi được tin nhắn.",
        "zh": "抱歉，暂时无法发送短信。",
        "en": "Sorry, we cannot send a text message right now.",
    },
}

# What a caller may say instead of pressing the key: choice -> language -> phrases.
ANSWERS: dict[str, dict[str, dict[str, list[str]]]] = {
    "confirm": {
        "1": {
            "vi": ["đúng", "đúng rồi", "có", "một"],
            "zh": ["对", "是", "是的", "正确", "一"],
            "en": ["yes", "yeah", "correct", "that's right", "one"],
        },
        "2": {
            "vi": ["không", "sai", "nhập lại", "hai"],
            "zh": ["不对", "不是", "错", "重新输入", "二"],
            "en": ["no", "wrong", "re-enter", "two"],
        },
    },
    "help": {
        "1": {
            "vi": ["tư vấn viên", "gặp tư vấn viên", "một"],
            "zh": ["人工", "人工客服", "一"],
            "en": ["agent", "an agent", "one"],
        },
        "2": {
            "vi": ["gọi lại", "hai"],
            "zh": ["回电", "预约回电", "二"],
            "en": ["call back", "call me back", "callback", "two"],
        },
    },
    "balance_menu": {
        "1": {
            "vi": ["nghe lại", "một"],
            "zh": ["重听", "再听一遍", "一"],
            "en": ["repeat", "again", "one"],
        },
        "2": {
            "vi": ["tin nhắn", "gửi tin nhắn", "hai"],
            "zh": ["短信", "发短信", "二"],
            "en": ["message", "text message", "text", "two"],
        },
        "9": {
            "vi": ["quay lại", "menu chính", "chín"],
            "zh": ["返回", "主菜单", "九"],
            "en": ["menu", "main menu", "nine"],
        },
    },
}


def say(name: str, language: str, **values: str) -> str:
    """The text ``name`` in ``language`` with its blanks filled (values already in words)."""
    return SAY[name][language].format(**values)


def phrases(menu: str, language: str) -> dict[str, str]:
    """Phrase -> key for the answers of ``menu`` in ``language``."""
    return {
        phrase: key
        for key, per_language in ANSWERS[menu].items()
        for phrase in per_language.get(language, [])
    }
