"""The 问答 tab: a chat with streaming answers, sources, follow-ups and 👍/👎 feedback."""

from __future__ import annotations

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.types import Answer, Status, Turn
from assistant.serve.feedback import add_comment, record_feedback
from assistant.serve.ui.render import chat_messages, exchange_at

EXAMPLES = [
    "普陀2024年新增多少养老床位？",
    "那宝山2022年呢？",
    "长宁和宝山2022年一共新增多少养老床位？",
    "2022年哪个区新增养老床位最多？",
    "徐汇区2024年新增多少养老床位？",
]


def chat_tab(settings: Settings, engine) -> None:
    """The chat tab's components and events, inside the caller's `gr.Tab`."""

    def respond(message: str, exchanges: list):
        question = (message or "").strip()
        exchanges = list(exchanges or [])
        if not question:
            gr.Warning("请输入一个问题，例如“普陀2024年新增多少养老床位？”")
            yield chat_messages(exchanges), exchanges, message, gr.update()
            return
        history = [Turn(question=q, query=a.query, answer_text=a.text) for q, a in exchanges]
        yield chat_messages(exchanges, pending=question), exchanges, "", gr.update(visible=False)
        partial, final = "", None
        try:
            for item in engine.ask_stream(question, history):
                if isinstance(item, Answer):
                    final = item
                elif isinstance(item, Status):  # the LLM is working: show the line, not yet any text
                    yield chat_messages(exchanges, pending=question, partial=item.text), exchanges, "", gr.update()
                else:
                    partial += item
                    shown = chat_messages(exchanges, pending=question, partial=partial)
                    yield shown, exchanges, "", gr.update()
        except AssistantError as e:
            gr.Warning(str(e))
            final = Answer(question=question, text=str(e), refused=True, reason="error")
        if final is None:  # the engine promises a final Answer; show what came if it did not
            final = Answer(question=question, text=partial or "没有得到回答，请重试。", refused=True)
        exchanges.append((question, final))
        yield chat_messages(exchanges), exchanges, "", gr.update()

    def new_chat():
        return [], [], "", None, gr.update(visible=False), ""

    def on_like(exchanges: list, data: gr.LikeData):
        i = exchange_at(exchanges or [], data.index if isinstance(data.index, int) else data.index[0])
        if i is None or data.liked not in (True, False):
            return None, gr.update(visible=False), ""
        question, answer = exchanges[i]
        fid = record_feedback(settings, question, answer.text, 1 if data.liked else -1, "", answer.citations)
        gr.Info("谢谢反馈！如愿意，可在下方补充说明。")
        return fid, gr.update(visible=True), ""

    def on_comment(fid: int | None, comment: str):
        if fid is None or not (comment or "").strip():
            gr.Warning("请先点赞或点踩，再填写说明。" if fid is None else "说明是空的。")
            return gr.update(), comment
        add_comment(settings, fid, comment)
        gr.Info("说明已保存，谢谢！")
        return gr.update(visible=False), ""

    exchanges = gr.State([])
    feedback_id = gr.State(None)
    chatbot = gr.Chatbot(
        show_label=False,
        height="58vh",
        min_height=320,
        buttons=["copy", "copy_all"],
        feedback_options=("Like", "Dislike"),
        placeholder="**请输入问题**<br>例如：普陀2024年新增多少养老床位？可以接着追问“那宝山2022年呢？”",
        elem_id="mz-chat",
    )
    with gr.Row(equal_height=True):
        msg = gr.Textbox(
            show_label=False,
            placeholder="请输入问题，按回车发送",
            submit_btn="发送",
            scale=9,
            autofocus=True,
            max_length=settings.max_question_chars,
        )
        new_btn = gr.Button("新对话", scale=1, min_width=110)
    with gr.Row(visible=False) as comment_row:
        comment = gr.Textbox(show_label=False, scale=8,
                             placeholder="补充说明（可选）：哪里不对？正确的答案或出处是什么？")
        comment_btn = gr.Button("提交说明", scale=1, min_width=110)
    examples = gr.Examples(EXAMPLES, inputs=msg, label="示例问题（点击即问）")

    chat_io = dict(fn=respond, inputs=[msg, exchanges],
                   outputs=[chatbot, exchanges, msg, comment_row])
    msg.submit(**chat_io, api_name="chat")
    examples.load_input_event.then(**chat_io, api_visibility="private")
    new_btn.click(new_chat, None, [chatbot, exchanges, msg, feedback_id, comment_row, comment],
                  api_visibility="private")
    chatbot.clear(new_chat, None, [chatbot, exchanges, msg, feedback_id, comment_row, comment],
                  api_visibility="private")
    chatbot.like(on_like, [exchanges], [feedback_id, comment_row, comment],
                 api_visibility="private")
    comment_btn.click(on_comment, [feedback_id, comment], [comment_row, comment],
                      api_visibility="private")
