"""sounddevice has no test suite of its own: run.py runs this script instead, on cffi and on
rffi, and compares what it prints.

sounddevice is an out-of-line ABI module (`_sounddevice.py`, tables for `_cffi_backend.FFI`)
over PortAudio. run.py points ALSA's default device at its `null` plugin (HOME with an
.asoundrc), so streams open, run their callbacks on PortAudio's own thread and play into
nothing, on a machine without a sound card. Only what does not depend on timing is printed.
"""

import sys
import threading

import numpy as np
import sounddevice as sd

print(sd.get_portaudio_version()[1].split(",")[0])
print([(d["name"], d["hostapi"], d["max_input_channels"], d["max_output_channels"],
        d["default_samplerate"]) for d in sd.query_devices()])
print([(h["name"], h["devices"], h["default_output_device"]) for h in sd.query_hostapis()])
print(sd.query_devices(kind="output")["name"], sd.default.device, sd.default.dtype)
sd.check_output_settings(samplerate=44100, channels=2, dtype="int16")
for bad in (dict(device=99), dict(samplerate=-1), dict(dtype="float16"), dict(channels=0)):
    try:
        sd.check_output_settings(**bad)
    except (sd.PortAudioError, ValueError, TypeError) as e:
        print("refused", sorted(bad), type(e).__name__, str(e).split("[")[0][:60])
print(sd._ffi.string(sd._lib.Pa_GetErrorText(-9996)))
print(sd._ffi.sizeof("PaStreamParameters"), sd._ffi.typeof("PaStreamCallback *"))

# Convenience functions: play, rec and playrec on the null device.
tone = (0.2 * np.sin(np.arange(4410) / 10)).astype("float32")
sd.play(tone, 44100)
sd.wait()
recorded = sd.rec(2205, 44100, channels=2, dtype="int16")
sd.wait()
print("rec", recorded.shape, recorded.dtype)
both = sd.playrec(np.zeros((1000, 2), dtype="float32"), 44100, channels=1)
sd.wait()
print("playrec", both.shape, both.dtype)

# A callback stream: the callback runs on PortAudio's thread; it stops the stream after
# 20 calls with CallbackStop, and the finished callback says so.
main_thread = threading.get_ident()
calls = []
done = threading.Event()


def callback(indata, outdata, frames, time, status):
    calls.append((threading.get_ident() != main_thread, indata.shape[1], outdata.shape[1],
                  indata.dtype.name, frames > 0, time.outputBufferDacTime >= 0))
    outdata[:] = indata[:, :1] * 0.5
    if len(calls) == 20:
        raise sd.CallbackStop


with sd.Stream(samplerate=44100, blocksize=256, channels=(2, 1), dtype="float32",
               callback=callback, finished_callback=done.set) as stream:
    print("stream", stream.samplerate, stream.blocksize, stream.channels, stream.dtype,
          stream.samplesize, type(stream.latency).__name__)
    if not done.wait(10):
        print("finished callback never came")
print("callbacks", len(calls), sorted(set(calls)), stream.active, stream.stopped, stream.closed)

# A raw stream: the callback gets cffi buffers (ffi.buffer of the C arrays).
raw = []


def raw_callback(indata, outdata, frames, time, status):
    raw.append((type(indata).__name__, len(indata) == frames * 4, len(outdata) == frames * 2))
    outdata[:] = bytes(len(outdata))
    if len(raw) == 5:
        raise sd.CallbackAbort


with sd.RawStream(samplerate=8000, blocksize=128, channels=(1, 1), dtype=("int32", "int16"),
                  callback=raw_callback) as stream:
    sd.sleep(500)
print("raw", len(raw), sorted(set(raw)))

# Blocking streams: write and read with no callback.
with sd.OutputStream(samplerate=22050, channels=1, dtype="int16") as out:
    underflowed = out.write(np.zeros(2048, dtype="int16"))
    print("write", type(underflowed).__name__, out.write_available >= 0)
with sd.InputStream(samplerate=22050, channels=2, dtype="float32") as inp:
    data, overflowed = inp.read(1024)
    print("read", data.shape, data.dtype, type(overflowed).__name__, inp.read_available >= 0)
with sd.RawInputStream(samplerate=22050, channels=1, dtype="int16") as inp:
    data, overflowed = inp.read(100)
    print("raw read", type(data).__name__, len(data))

# An exception other than CallbackStop/CallbackAbort in a callback: the FFI reports it as
# unraisable, the callback returns its error value (paAbort) and the stream stops.
unraisable = []
sys.unraisablehook = lambda u: unraisable.append(
    (u.err_msg.split(" <")[0], type(u.exc_value).__name__, str(u.exc_value)))


def failing(outdata, frames, time, status):
    raise ZeroDivisionError("in the callback")


stream = sd.OutputStream(samplerate=44100, channels=1, callback=failing)
stream.start()
sd.sleep(300)
print("failing stream active:", stream.active)
stream.close()
print("closed", stream.closed, unraisable)

# For run.py, which compares the lines above and checks this one.
print("_cffi_backend module in use:", sys.modules["_cffi_backend"].__name__)
