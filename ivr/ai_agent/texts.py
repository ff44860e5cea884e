"""What the AI voice agent says, per language, and the phrases that steer the conversation.

Answers themselves come from the knowledge base; these are the agent's own lines. Phrases are
matched on the recognizer's text, lowercased and (for Vietnamese) also without diacritics, since
a recognizer's output or a caller's accent may drop them.
"""

from __future__ import annotations

SAY: dict[str, dict[str, str]] = {
    "greet_after_hours": {
        "vi": "Tôi là trợ lý tự động, có thể trả lời các câu hỏi thường gặp, tra cứu số dư, ghi"
        " lại lời nhắn hoặc đặt lịch gọi lại. Xin mời quý khách nói câu hỏi.",
        "zh": "我是自动语音助手，可以回答常见问题、查询余额、记录留言或预约回电。请说出您的问题。",
        "en": "I am the automated assistant: I can answer common questions, look up your balance,"
        " take a message or book a call back. Please ask your question.",
    },
    "greet_overflow": {
        "vi": "Hiện tất cả tổng đài viên đều đang bận. Tôi là trợ lý tự động và có thể giúp"
        " quý khách ngay. Xin mời quý khách nói câu hỏi.",
        "zh": "目前所有客服都在忙。我是自动语音助手，可以马上为您服务。请说出您的问题。",
        "en": "All our agents are busy right now. I am the automated assistant and can help you"
        " straight away. Please ask your question.",
    },
    "ask_question": {
        "vi": "Xin mời quý khách nói câu hỏi.",
        "zh": "请说出您的问题。",
        "en": "Please ask your question.",
    },
    "greet": {
        "vi": "Tôi là trợ lý tự động. Xin mời quý khách nói câu hỏi.",
        "zh": "我是自动语音助手。请说出您的问题。",
        "en": "I am the automated assistant. Please ask your question.",
    },
    "anything_else": {
        "vi": "Quý khách còn câu hỏi nào khác không?",
        "zh": "您还有其他问题吗？",
        "en": "Do you have another question?",
    },
    "offer_sms": {
        "vi": "Để nhận câu trả lời này qua tin nhắn, nhấn phím 1 hoặc nói gửi tin nhắn.",
        "zh": "如需通过短信接收这个答案，请按1或说发短信。",
        "en": "To get this answer by text message, press 1 or say send it.",
    },
    "sms_sent": {
        "vi": "Tin nhắn sẽ được gửi tới số điện thoại quý khách đang gọi.",
        "zh": "短信将发送到您的来电号码。",
        "en": "The text message will go to the phone you are calling from.",
    },
    "sms_impossible": {
        "vi": "Xin lỗi, số điện thoại này không nhận được tin nhắn.",
        "zh": "抱歉，这个号码无法接收短信。",
        "en": "Sorry, the number you are calling from cannot receive text messages.",
    },
    "not_sure": {
        "vi": "Xin lỗi, tôi chưa có thông tin chắc chắn để trả lời câu hỏi này.",
        "zh": "抱歉，关于这个问题我没有确切的信息。",
        "en": "Sorry, I do not have reliable information to answer that.",
    },
    "clarify": {
        "vi": "Có phải quý khách muốn hỏi: {question} Nếu đúng, nhấn phím 1 hoặc nói đúng."
        " Nếu không, nhấn phím 2 hoặc nói không.",
        "zh": "您是想问：{question} 是的话请按1或说是，不是请按2或说不是。",
        "en": "Do you mean: {question} If so, press 1 or say yes. If not, press 2 or say no.",
    },
    "not_heard": {
        "vi": "Xin lỗi, tôi chưa nghe rõ. Xin quý khách nói lại.",
        "zh": "抱歉，我没有听清楚。请再说一遍。",
        "en": "Sorry, I did not catch that. Please say it again.",
    },
    "offer_options_open": {
        "vi": "Để gặp tổng đài viên, nhấn phím 1. Để để lại lời nhắn, nhấn phím 2. Để được gọi"
        " lại, nhấn phím 3.",
        "zh": "转接人工客服请按1，留言请按2，预约回电请按3。",
        "en": "To speak to an agent, press 1. To leave a message, press 2. For a call back,"
        " press 3.",
    },
    "offer_options_closed": {
        "vi": "Để để lại lời nhắn, nhấn phím 2. Để được gọi lại trong giờ làm việc, nhấn phím 3.",
        "zh": "留言请按2，预约在工作时间回电请按3。",
        "en": "To leave a message, press 2. For a call back during office hours, press 3.",
    },
    "or_ask": {
        "vi": "Hoặc nói câu hỏi khác.",
        "zh": "或者说出其他问题。",
        "en": "Or ask another question.",
    },
    "to_agent": {
        "vi": "Tôi sẽ chuyển quý khách tới tổng đài viên. Xin vui lòng giữ máy.",
        "zh": "我将为您转接人工客服，请稍候。",
        "en": "I will put you through to an agent. Please hold.",
    },
    "no_agent_now": {
        "vi": "Hiện không có tổng đài viên nào. Tôi có thể ghi lại lời nhắn hoặc đặt lịch gọi lại.",
        "zh": "现在没有可以接听的客服。我可以为您记录留言或预约回电。",
        "en": "No agent can take your call right now. I can take a message or book a call back.",
    },
    "record_message": {
        "vi": "Xin mời quý khách để lại lời nhắn sau tiếng bíp, nói rõ nội dung cần hỗ trợ."
        " Nói xong, xin im lặng vài giây hoặc nhấn phím thăng.",
        "zh": "请在提示音后留言，说明您需要的帮助。说完后请保持安静几秒或按井号键。",
        "en": "Please leave your message after the tone, saying what you need help with. When"
        " you have finished, stay silent for a moment or press hash.",
    },
    "message_empty": {
        "vi": "Tôi chưa nhận được lời nhắn nào.",
        "zh": "我没有收到您的留言。",
        "en": "I did not receive a message.",
    },
    "ticket_opened": {
        "vi": "Lời nhắn của quý khách đã được ghi nhận với mã số {reference}.",
        "zh": "您的留言已记录，编号是{reference}。",
        "en": "Your message has been recorded with reference number {reference}.",
    },
    "ticket_again": {
        "vi": "Xin nhắc lại, mã số của quý khách là {reference}. Chúng tôi sẽ gửi mã số này"
        " qua tin nhắn nếu có thể.",
        "zh": "再说一遍，您的编号是{reference}。如果可以，我们会用短信发送这个编号。",
        "en": "Once again, your reference number is {reference}. We will send it by text"
        " message where we can.",
    },
    "no_speech_language": {
        "vi": "Trợ lý tự động chưa nghe được tiếng Việt trên tổng đài này.",
        "zh": "本热线的自动助手暂时无法识别中文语音。",
        "en": "The automated assistant cannot hear English speech on this line yet.",
    },
}

# What a caller says to steer the conversation, per intent and language. Matched as whole
# words inside what they said ("i want an agent please" holds "agent").
PHRASES: dict[str, dict[str, list[str]]] = {
    "agent": {
        "vi": [
            "tổng đài viên",
            "gặp người",
            "nói chuyện với người",
            "nhân viên",
            "tư vấn viên",
            "người thật",
            "chuyển máy",
        ],
        "zh": ["人工", "客服", "真人", "转人工", "接线员"],
        "en": [
            "agent",
            "human",
            "real person",
            "operator",
            "representative",
            "someone real",
            "talk to a person",
            "speak to a person",
        ],
    },
    "message": {
        "vi": ["để lại lời nhắn", "lời nhắn", "ghi lại", "phản ánh"],
        "zh": ["留言", "留个言", "记录"],
        "en": ["leave a message", "message", "take a message"],
    },
    "callback": {
        "vi": ["gọi lại", "gọi lại cho tôi"],
        "zh": ["回电", "打回来", "回个电话"],
        "en": ["call back", "call me back", "callback", "ring me back"],
    },
    "balance": {
        "vi": ["số dư", "tra cứu số dư", "tài khoản của tôi"],
        "zh": ["余额", "查余额", "我的账户"],
        "en": ["balance", "my balance", "my account"],
    },
    "sms": {
        "vi": ["gửi tin nhắn", "gửi tin", "nhắn tin", "gửi đi"],
        "zh": ["发短信", "短信", "发给我"],
        "en": ["send it", "text it", "text me", "text message", "sms", "send me a text"],
    },
    "yes": {
        "vi": ["có", "vâng", "dạ", "dạ có", "còn", "có ạ"],
        "zh": ["有", "是", "对", "还有", "有的"],
        "en": ["yes", "yeah", "yes please", "i do", "yep"],
    },
    "done": {
        "vi": ["không", "hết rồi", "không có", "cảm ơn", "tạm biệt", "xong rồi"],
        "zh": ["没有", "没有了", "不用了", "谢谢", "再见"],
        "en": [
            "no",
            "nothing else",
            "that's all",
            "that is all",
            "no thanks",
            "goodbye",
            "thank you",
            "bye",
        ],
    },
    "anger": {
        "vi": ["bực mình", "vô lý", "tức", "chán", "tệ quá", "không hiểu gì", "máy móc"],
        "zh": ["生气", "太差", "烦", "听不懂", "没用", "投诉你们"],
        "en": [
            "useless",
            "stupid",
            "ridiculous",
            "angry",
            "terrible",
            "rubbish",
            "annoying",
            "not helpful",
            "you don't understand",
        ],
    },
}


def say(name: str, language: str, **values: str) -> str:
    text = SAY[name][language]
    return text.format(**values) if values else text
