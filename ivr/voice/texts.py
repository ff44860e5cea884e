"""What the flow engine itself says when a flow gives no text of its own, per language."""

from __future__ import annotations

BUILT_IN = {
    "invalid": {
        "vi": "Lựa chọn không hợp lệ.",
        "zh": "您的选择无效。",
        "en": "That is not a valid choice.",
    },
    "timeout": {
        "vi": "Quý khách chưa chọn phím nào.",
        "zh": "我们没有收到您的选择。",
        "en": "We did not receive your choice.",
    },
    "no_match": {
        "vi": "Xin lỗi, chúng tôi chưa nghe rõ.",
        "zh": "抱歉，我们没有听清楚。",
        "en": "Sorry, I did not catch that.",
    },
    "wrong_length": {
        "vi": "Số vừa nhập không đúng số chữ số.",
        "zh": "您输入的号码位数不对。",
        "en": "That number does not have the right number of digits.",
    },
    "confirm_option": {
        "vi": "Có phải quý khách muốn chọn {option}? Bấm 1 hoặc nói có; bấm 2 hoặc nói không.",
        "zh": "您是要选{option}吗？是请按1或说“是”，不是请按2或说“不是”。",
        "en": "Did you want {option}? Press 1 or say yes; press 2 or say no.",
    },
    "apology": {
        "vi": "Xin lỗi, hệ thống đang gặp sự cố. Vui lòng gọi lại sau.",
        "zh": "抱歉，系统出现故障，请稍后再拨。",
        "en": "Sorry, we have a technical problem. Please call again later.",
    },
}
