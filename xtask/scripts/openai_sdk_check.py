"""The official OpenAI Python SDK, pointed at a running Studio with an API key.

Run by `cargo xtask sdk-check`, which starts the dev inference server and the gateway and
passes STUDIO_URL. Exits non-zero (with the reason) on the first thing that does not work.
"""
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request

import openai

BASE = os.environ["STUDIO_URL"]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data, timeout=10) as response:
        return json.loads(response.read() or b"null")


def wait_until_ready():
    for _ in range(300):
        try:
            call("GET", "/readyz")
            return
        except Exception:
            time.sleep(0.1)
    sys.exit("studio did not become ready")


def main():
    wait_until_ready()
    session = call("POST", "/api/auth/register", {"email": "sdk@example.com", "password": "correct horse battery"})
    key = call("POST", "/api/keys", {"name": "sdk"}, session["accessToken"])["key"]
    client = openai.OpenAI(api_key=key, base_url=BASE + "/v1")

    models = [m.id for m in client.models.list()]
    assert "llama-3.1-8b-instruct" in models, models
    assert client.models.retrieve("llama-3.1-8b-instruct").id == "llama-3.1-8b-instruct"

    messages = [{"role": "user", "content": "hello from the sdk"}]
    reply = client.chat.completions.create(model="llama-3.1-8b-instruct", messages=messages)
    assert reply.choices[0].message.content == "echo: hello from the sdk", reply
    assert reply.model == "llama-3.1-8b-instruct" and reply.usage.total_tokens > 0, reply

    stream = client.chat.completions.create(
        model="llama-3.1-8b-instruct", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text == "echo: hello from the sdk", text
    assert usage is not None and usage.completion_tokens > 0, usage

    plain = client.chat.completions.create(model="llama-3.1-8b-instruct", messages=messages, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in plain if c.choices) == "echo: hello from the sdk"

    try:
        client.chat.completions.create(model="no-such-model", messages=messages)
        sys.exit("an unknown model was accepted")
    except openai.NotFoundError:
        pass
    try:
        openai.OpenAI(api_key="sk-studio-wrong", base_url=BASE + "/v1", max_retries=0).models.list()
        sys.exit("a wrong key was accepted")
    except openai.AuthenticationError:
        pass
    try:
        client.chat.completions.create(model="llama-3.1-8b-instruct", messages=[])
        sys.exit("empty messages were accepted")
    except openai.BadRequestError:
        pass
    check_images(client)
    print(f"openai {openai.__version__}: models, chat, streaming, images and errors work against Studio")


def check_images(client):
    inline = client.images.generate(
        model="stable-diffusion-xl", prompt="a lighthouse", size="256x256", response_format="b64_json", n=2
    )
    assert len(inline.data) == 2, inline
    for image in inline.data:
        assert base64.b64decode(image.b64_json)[:8] == b"\x89PNG\r\n\x1a\n", image.revised_prompt
    linked = client.images.generate(model="stable-diffusion-xl", prompt="a lighthouse", size="256x256")
    url = linked.data[0].url
    assert url and url.startswith(BASE + "/media/images/"), url
    # The URL works without credentials, as in an <img> tag.
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["content-type"] == "image/png", response.headers
        assert response.read()[:8] == b"\x89PNG\r\n\x1a\n"
    try:
        urllib.request.urlopen(url.replace("signature=", "signature=x"), timeout=10)
        sys.exit("a tampered image URL was served")
    except urllib.error.HTTPError as error:
        assert error.code == 403, error.code
    try:
        client.images.generate(model="stable-diffusion-xl", prompt="p", size="3x3")
        sys.exit("an invalid size was accepted")
    except openai.BadRequestError as error:
        assert error.param == "size", error.body
    try:
        client.images.generate(model="llama-3.1-8b-instruct", prompt="p")
        sys.exit("a chat model generated images")
    except openai.BadRequestError:
        pass


if __name__ == "__main__":
    main()
