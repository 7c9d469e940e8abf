"""The page around the tabs: theme, CSS, Gradio's own labels in Chinese, and the small script in <head>.

Gradio translates its built-in labels (copy, like, clear, upload …) from the browser's language and
has no Chinese for several of them; the app is Chinese whatever the browser says, so the same
Chinese strings are given for English, Chinese and the fallback.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

CSS = """
.gradio-container { max-width: 1200px !important; margin: 0 auto !important; width: 100% !important; }
#mz-header { padding: 2px 4px 0; }
#mz-header h1 { font-size: 1.5rem; font-weight: 700; margin: 0; }
#mz-header p { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: .95rem; }
.mz-src { border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius: 6px; padding: 8px 12px; margin: 6px 0; }
.mz-src-head { font-weight: 600; font-size: 15px; }
.mz-src-n { display: inline-block; min-width: 1.4em; color: var(--color-accent); }
.mz-src-sec { color: var(--body-text-color-subdued); font-size: 13px; margin-top: 2px; }
.mz-quote { margin: 6px 0 0; line-height: 1.75; font-size: 15px; }
.mz-quote mark, .mz-answer strong { background: #ffe58f; color: #1f1f1f; padding: 0 2px; border-radius: 3px;
  font-weight: 600; font-size: inherit; }
.mz-understood { color: var(--body-text-color-subdued); font-size: .9em; margin-top: 6px; }
.mz-note { color: var(--body-text-color-subdued); font-size: .9em; margin-top: 4px; }
.mz-meta { color: var(--body-text-color-subdued); font-size: .78em; margin-top: 6px; }
.mz-refused { border-left: 3px solid #d9822b; padding-left: 10px; }
.mz-status { min-height: 1.5em; }
.mz-table table, .mz-table td, .mz-table th, .mz-table span { font-family: var(--font) !important; }
footer { display: none !important; }
.mz-copy { display: none !important; }
.mz-waiting { color: var(--body-text-color-subdued); display: inline-flex; align-items: center; gap: 3px; }
.mz-dot { width: 6px; height: 6px; border-radius: 50%; background: var(--color-accent); display: inline-block;
  animation: mzb 1s infinite ease-in-out; }
.mz-dot:nth-child(2) { animation-delay: .15s; } .mz-dot:nth-child(3) { animation-delay: .3s; }
@keyframes mzb { 0%, 80%, 100% { opacity: .25; transform: scale(.8); } 40% { opacity: 1; transform: scale(1); } }
#mz-suggest { gap: 8px; flex-wrap: wrap; }
#mz-suggest button { flex: 0 1 auto !important; min-width: 0 !important; font-weight: 400; }
#mz-history .wrap { flex-direction: column; gap: 4px; }
#mz-history label { width: 100%; font-size: 13px; }
#mz-chat-row { flex-wrap: wrap; }
textarea, input[type=text] { font-size: 16px !important; }  /* below 16 px iOS zooms into the field */
.mz-eval-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px; }
@media (max-width: 720px) {
  #mz-history-col { order: 2; min-width: 100% !important; }
  #mz-chat-col { min-width: 100% !important; }
  #mz-header h1 { font-size: 1.25rem; }
  /* the document list on a phone: title, district, years and chunks; the rest is in the file itself */
  #mz-docs [role=row] > :nth-child(n+2):not(:nth-child(5)):not(:nth-child(6)):not(:nth-child(9)) { display: none; }
  #mz-hits [role=row] > :nth-child(3), #mz-hits [role=row] > :nth-child(4),
  #mz-hits [role=row] > :nth-child(5) { display: none; }
  /* the kept columns share the phone's width instead of the desktop's fixed column widths */
  #mz-docs table, #mz-hits table { width: 100% !important; display: block !important; }
  #mz-docs thead, #mz-hits thead { display: block !important; width: 100% !important; }
  #mz-docs tr[role=row], #mz-hits tr[role=row] { display: flex !important; width: 100% !important; }
  #mz-docs [role=row] > *, #mz-hits [role=row] > * { flex: 1 1 0 !important; width: auto !important;
    min-width: 0 !important; max-width: none !important; }
  #mz-docs [role=row] > :first-child { flex: 3 1 0 !important; }
  #mz-hits [role=row] > :first-child { flex: 0 0 2.5em !important; }
  #mz-hits [role=row] > :nth-child(2) { flex: 2 1 0 !important; }
  #mz-hits [role=row] > :last-child { flex: 5 1 0 !important; }
}
"""

_CHAT = {"copy_message": "复制（纯文本）", "copied_message": "已复制", "like": "有用", "dislike": "没用",
         "clear": "清空对话", "retry": "重试", "undo": "撤销", "edit": "编辑", "submit": "发送", "cancel": "取消",
         "complete": "完成"}
_COMMON = {"clear": "清除", "download": "下载", "download_all": "全部下载", "edit": "编辑", "empty": "空",
           "error": "错误", "loading": "加载中", "remove": "移除", "share": "分享", "submit": "提交",
           "undo": "撤销", "settings": "设置", "language": "语言", "display_theme": "显示主题", "or": "或",
           "built_with_gradio": "使用 Gradio 构建", "progress": "进度", "run": "运行"}
_UPLOAD = {"click_to_upload": "点击上传", "drop_file": "拖放文件到这里", "drop_csv": "拖放 CSV 文件到这里",
           "drop_image": "拖放图片到这里", "paste_clipboard": "从剪贴板粘贴"}
ZH_LABELS = {**{f"chatbot.{k}": v for k, v in _CHAT.items()}, **{f"common.{k}": v for k, v in _COMMON.items()},
             **{f"upload_text.{k}": v for k, v in _UPLOAD.items()}, "file.uploading": "上传中…",
             "blocks.lost_connection": "与服务器的连接断开了，正在重新连接…"}


def i18n() -> gr.I18n:
    """Gradio's own labels in Chinese for every browser language."""
    return gr.I18n(en=ZH_LABELS, zh=ZH_LABELS, **{"zh-CN": ZH_LABELS, "zh-TW": ZH_LABELS})


def head() -> str:
    """The <head> addition: plain-text copying and scrolling to the latest answer (static/chat.js)."""
    return f"<script>{(STATIC_DIR / 'chat.js').read_text(encoding='utf-8')}</script>"


def theme() -> gr.themes.Base:
    """A calm theme with system CJK fonts (nothing fetched from the internet)."""
    return gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )
