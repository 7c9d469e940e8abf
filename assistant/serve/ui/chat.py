"""The 问答 tab: a chat with streaming answers, sources, follow-up suggestions, 👍/👎, kept in the browser.

Conversations live in the browser's localStorage (`gr.BrowserState`): they survive a reload and a
server restart, belong to that browser's user, and are listed to be reopened. A question in flight
can be stopped; while it waits, the chat says so.
"""

from __future__ import annotations

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.types import Answer, Status, Turn
from assistant.serve.feedback import add_comment, record_feedback, withdraw_feedback
from assistant.serve.suggestions import follow_ups
from assistant.serve.ui import conversations as conv
from assistant.serve.ui.render import chat_messages, exchange_at, feedback_values

EXAMPLES = [
    "普陀2024年新增多少养老床位？",
    "长宁和宝山2022年一共新增多少养老床位？",
    "2022年哪个区新增养老床位最多？",
    "徐汇区2024年新增多少养老床位？",
    "那宝山2022年呢？",
]
STORAGE_KEY = "mz-assistant-conversations"
# Not a secret: it only keeps the stored value stable across server restarts (Gradio encrypts it).
STORAGE_SECRET = "mz-assistant-conversations-v1"
N_SUGGESTIONS = 3
SEND, STOP = "发送", "停止"


def chat_tab(settings: Settings, engine) -> tuple:
    """The chat tab inside the caller's `gr.Tab`; returns its restore function, inputs and outputs for page load."""

    def suggestion_updates(answer: Answer | None) -> list:
        found = follow_ups(answer, engine.documents(), N_SUGGESTIONS) if answer is not None else []
        return [gr.update(value=q, visible=True) for q in found] + \
            [gr.update(visible=False)] * (N_SUGGESTIONS - len(found))

    def chat_view(store, conv_id) -> dict:
        exchanges = conv.exchanges(store, conv_id)
        return gr.update(value=chat_messages(exchanges), feedback_value=feedback_values(exchanges))

    def respond(message: str, store, conv_id):
        question = (message or "").strip()
        exchanges = conv.exchanges(store, conv_id)
        idle = gr.update(submit_btn=SEND, stop_btn=False)
        if not question:
            gr.Warning("请输入一个问题，例如“普陀2024年新增多少养老床位？”", title="提示")
            yield chat_view(store, conv_id), store, conv_id, gr.update(value=message, **idle), \
                gr.skip(), *[gr.skip()] * N_SUGGESTIONS
            return
        history = [Turn(question=e.question, query=e.answer.query, answer_text=e.answer.text) for e in exchanges]
        busy = gr.update(value="", submit_btn=False, stop_btn=STOP)
        hidden = [gr.update(visible=False)] * N_SUGGESTIONS
        yield chat_messages(exchanges, pending=question), store, conv_id, busy, gr.skip(), *hidden
        partial, final = "", None
        try:
            for item in engine.ask_stream(question, history):
                if isinstance(item, Answer):
                    final = item
                elif isinstance(item, Status):  # the LLM is working: show the line, not yet any text
                    shown = chat_messages(exchanges, pending=question, partial=item.text)
                    yield shown, store, conv_id, gr.skip(), gr.skip(), *[gr.skip()] * N_SUGGESTIONS
                else:
                    partial += item
                    shown = chat_messages(exchanges, pending=question, partial=partial)
                    yield shown, store, conv_id, gr.skip(), gr.skip(), *[gr.skip()] * N_SUGGESTIONS
        except AssistantError as e:
            gr.Warning(str(e), title="提示")
            final = Answer(question=question, text=str(e), refused=True, reason="error")
        if final is None:  # the engine promises a final Answer; show what came if it did not
            final = Answer(question=question, text=partial or "没有得到回答，请重试。", refused=True)
        store, conv_id, _ = conv.add_exchange(store, conv_id, question, final)
        yield chat_view(store, conv_id), store, conv_id, gr.update(value="", **idle), \
            gr.update(choices=conv.choices(store), value=conv_id), *suggestion_updates(final)

    def stopped(message: str, store, conv_id, pending: str):
        exchanges = conv.exchanges(store, conv_id)
        return (chat_messages(exchanges, pending=pending or "（问题）", stopped=True),
                gr.update(value=pending, submit_btn=SEND, stop_btn=False))

    def remember_question(message: str) -> str:
        return (message or "").strip()

    def open_conversation(store, conv_id):
        exchanges = conv.exchanges(store, conv_id)
        last = exchanges[-1].answer if exchanges else None
        return (chat_view(store, conv_id), conv_id, gr.update(choices=conv.choices(store), value=conv_id),
                *suggestion_updates(last))

    def reopen(store, conv_id):
        """A past conversation opened from the list: it is also the one a reload brings back."""
        store = {**(store if isinstance(store, dict) else conv.empty_store()), "current": conv_id}
        return (store, *open_conversation(store, conv_id))

    def restore(store):
        store = store if isinstance(store, dict) else conv.empty_store()
        return open_conversation(store, store.get("current"))

    def new_chat(store):
        store = {**(store if isinstance(store, dict) else conv.empty_store()), "current": None}
        return ([], store, None, gr.update(choices=conv.choices(store), value=None), None,
                gr.update(visible=False), "", *[gr.update(visible=False)] * N_SUGGESTIONS)

    def delete_chat(store, conv_id):
        if conv_id is None:
            gr.Info("当前是新对话，没有可删除的记录。", title="提示")
        store = conv.remove_conversation(store, conv_id)
        return new_chat(store)

    def on_like(store, conv_id, data: gr.LikeData):
        exchanges = conv.exchanges(store, conv_id)
        i = exchange_at(exchanges, data.index if isinstance(data.index, int) else data.index[0])
        if i is None:
            return store, None, gr.update(visible=False), ""
        ex = exchanges[i]
        if data.liked not in (True, False) or (ex.rating == 1) == data.liked and ex.rating != 0:
            withdraw_feedback(settings, ex.answer_id)  # the same thumb clicked again: taken back
            gr.Info("已撤销评价。", title="提示")
            return conv.set_rating(store, ex.answer_id, 0), None, gr.update(visible=False), ""
        rating = 1 if data.liked else -1
        fid = record_feedback(settings, ex.question, ex.answer.text, rating, "", ex.answer.citations,
                              answer_id=ex.answer_id)
        gr.Info("谢谢反馈！如愿意，可在下方补充说明。", title="提示")
        return conv.set_rating(store, ex.answer_id, rating), fid, gr.update(visible=True), ""

    def on_comment(fid: int | None, comment: str):
        if fid is None or not (comment or "").strip():
            gr.Warning("请先点赞或点踩，再填写说明。" if fid is None else "说明是空的。", title="提示")
            return gr.update(), comment
        add_comment(settings, fid, comment)
        gr.Info("说明已保存，谢谢！", title="提示")
        return gr.update(visible=False), ""

    store = gr.BrowserState(conv.empty_store(), storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
    current = gr.State(None)
    pending = gr.State("")
    feedback_id = gr.State(None)
    with gr.Row(elem_id="mz-chat-row"):
        with gr.Column(scale=1, min_width=220, elem_id="mz-history-col"):
            new_btn = gr.Button("＋ 新对话", variant="primary", size="sm")
            history = gr.Radio(choices=[], value=None, label="历史对话（保存在本浏览器）", elem_id="mz-history")
            delete_btn = gr.Button("删除当前对话", size="sm", variant="secondary")
        with gr.Column(scale=4, elem_id="mz-chat-col"):
            chatbot = gr.Chatbot(
                show_label=False,
                height="58vh",
                min_height=320,
                buttons=["copy", "copy_all"],
                feedback_options=("Like", "Dislike"),
                placeholder="**请输入问题**<br>例如：普陀2024年新增多少养老床位？可以接着追问“那宝山2022年呢？”",
                elem_id="mz-chat",
            )
            with gr.Row(elem_id="mz-suggest", visible=True):
                suggestions = [gr.Button(visible=False, size="sm", variant="secondary", elem_classes="mz-sug")
                               for _ in range(N_SUGGESTIONS)]
            msg = gr.Textbox(
                label="输入问题",  # hidden, but what a screen reader announces instead of "Textbox"
                show_label=False,
                placeholder="请输入问题，按回车发送",
                submit_btn=SEND,
                stop_btn=False,
                autofocus=True,
                max_length=settings.max_question_chars,
                elem_id="mz-input",
            )
            with gr.Row(visible=False) as comment_row:
                comment = gr.Textbox(label="补充说明", show_label=False, scale=8,
                                     placeholder="补充说明（可选）：哪里不对？正确的答案或出处是什么？")
                comment_btn = gr.Button("提交说明", scale=1, min_width=110)
            examples = gr.Examples(EXAMPLES, inputs=msg, label="示例问题（点击即问）")

    outputs = [chatbot, store, current, msg, history, *suggestions]
    show_latest = dict(fn=None, js="() => window.mzShowLatest && window.mzShowLatest()")

    def ask_from(trigger, source, **kw):
        first = trigger(remember_question, [source], [pending], queue=False, api_visibility="private")
        answer = first.then(respond, [source, store, current], outputs, **kw)
        answer.then(**show_latest)
        return answer

    submit = ask_from(msg.submit, msg, api_name="chat")
    runs = [submit, ask_from(examples.load_input_event.then, msg, api_visibility="private")]
    runs += [ask_from(b.click, b, api_visibility="private") for b in suggestions]
    msg.stop(stopped, [msg, store, current, pending], [chatbot, msg], cancels=runs, api_visibility="private")

    reset_out = [chatbot, store, current, history, feedback_id, comment_row, comment, *suggestions]
    new_btn.click(new_chat, [store], reset_out, api_visibility="private")
    chatbot.clear(new_chat, [store], reset_out, api_visibility="private")
    delete_btn.click(delete_chat, [store, current], reset_out, api_visibility="private")
    history.input(reopen, [store, history], [store, chatbot, current, history, *suggestions],
                  api_visibility="private").then(**show_latest)
    chatbot.like(on_like, [store, current], [store, feedback_id, comment_row, comment],
                 api_visibility="private")
    comment_btn.click(on_comment, [feedback_id, comment], [comment_row, comment], api_visibility="private")
    return restore, [store], [chatbot, current, history, *suggestions]
