"""Measures the transport limits of issue 21 against built binaries (docs/reliability.md).

Usage: python3 scripts/measure-transport-limits.py <bin dir, e.g. target/release> <flood-ns|flood-broker|idle>
flood-*: one client writes requests (name server: topic list of 2,000 topics; broker: pulls
of ~256 KB) for 7 s and never reads; another calls every 100 ms;
prints the server's RSS before, at peak and 3 s after, and the other client's latencies.
idle: 3,500 connections to a name server, each used once; prints the RSS per connection.
Scratch state goes to a temporary directory under $TMPDIR; servers bind 127.0.0.1 on free ports.
"""
import shutil, socket, struct, json, subprocess, sys, time, os, threading, tempfile
BIN = sys.argv[1]; what = sys.argv[2]
def frame(code, ext=None, body=b'', opaque=1):
    h = json.dumps({"code":code,"language":"JAVA","version":395,"opaque":opaque,"flag":0,"extFields":ext or {}}).encode()
    p = struct.pack('>I', len(h)) + h + body
    return struct.pack('>i', len(p)) + p
def rss(pid):
    for l in open(f'/proc/{pid}/status'):
        if l.startswith('VmRSS'): return int(l.split()[1])/1024
def free_port():
    s=socket.socket(); s.bind(('127.0.0.1',0)); p=s.getsockname()[1]; s.close(); return p
def read_frame(s):
    hdr=b''
    while len(hdr)<4:
        c=s.recv(4-len(hdr)); 
        if not c: raise EOFError
        hdr+=c
    n=struct.unpack('>i',hdr)[0]; got=0
    while got<n:
        c=s.recv(min(65536,n-got))
        if not c: raise EOFError
        got+=len(c)
def start(kind, d):
    port=free_port()
    if kind=='ns':
        conf=f"{d}/ns.conf"; open(conf,'w').write(f"listenPort={port}\nbindAddress=127.0.0.1\nkvConfigPath={d}/kv.json\n")
        p=subprocess.Popen([f"{BIN}/mqnamesrv","-c",conf],stdout=open(f"{d}/out","w"),stderr=subprocess.STDOUT,env={**os.environ,"ROCKETMQ_LOG_DIR":f"{d}/logs"})
    else:
        conf=f"{d}/b.conf"; open(conf,'w').write(f"brokerName=b\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\nlistenPort={port}\nfastListenEnable=false\nstorePathRootDir={d}/store\nmappedFileSizeCommitLog=16777216\nmaxHashSlotNum=50000\nmaxIndexNum=200000\n")
        p=subprocess.Popen([f"{BIN}/mqbroker","-c",conf],stdout=open(f"{d}/out","w"),stderr=subprocess.STDOUT,env={**os.environ,"ROCKETMQ_LOG_DIR":f"{d}/logs"})
    for _ in range(200):
        try: socket.create_connection(('127.0.0.1',port)).close(); break
        except OSError: time.sleep(0.05)
    return p,port
def flood(kind, code, ext=None, secs=7):
    d=tempfile.mkdtemp(); p,port=start(kind,d)
    if kind=='ns':
        topics={f"FloodTopic{i:05}":{"topicName":f"FloodTopic{i:05}","readQueueNums":8,"writeQueueNums":8,"perm":6} for i in range(2000)}
        body=json.dumps({"topicConfigSerializeWrapper":{"topicConfigTable":topics,"dataVersion":{"counter":1,"timestamp":1}},"filterServerList":[]}).encode()
        s=socket.create_connection(('127.0.0.1',port)); s.sendall(frame(103,{"brokerName":"f","brokerAddr":"127.0.0.1:1","clusterName":"C","haServerAddr":"127.0.0.1:2","brokerId":"0","compressed":"false"},body)); read_frame(s); s.close()
    if kind=='broker':
        # 64 messages of 60 KB: each pull answers ~256 KB (maxTransferBytesOnMessageInMemory).
        s=socket.create_connection(('127.0.0.1',port))
        for i in range(64):
            s.sendall(frame(10,{"producerGroup":"pg","topic":"Flood","defaultTopic":"TBW102","defaultTopicQueueNums":"1","queueId":"0","sysFlag":"0","bornTimestamp":str(int(time.time()*1000)),"flag":"0","reconsumeTimes":"0","unitMode":"false","batch":"false"},b'x'*60000,opaque=100+i)); read_frame(s)
        s.close()
    before=rss(p.pid); peak=before
    stop=time.time()+secs
    bad=socket.create_connection(('127.0.0.1',port)); bad.settimeout(0.2)
    batch=frame(code,ext)*64; sent=[0]
    def w():
        while time.time()<stop:
            try: bad.sendall(batch); sent[0]+=64
            except OSError: pass
    t=threading.Thread(target=w); t.start()
    good=socket.create_connection(("127.0.0.1",port)); good.settimeout(30); slow=0; lat=[]
    while time.time()<stop:
        t0=time.time(); good.sendall(frame(code,ext,opaque=2)); read_frame(good); slow=max(slow,time.time()-t0); lat.append(int((time.time()-t0)*1000))
        peak=max(peak,rss(p.pid)); time.sleep(0.1)
    print(lat); t.join(); peak=max(peak,rss(p.pid)); bad.close(); time.sleep(3); after=rss(p.pid)
    print(f"{kind} flood {secs}s: RSS {before:.0f} MiB -> peak {peak:.0f} MiB, {after:.0f} MiB 3 s after close; {sent[0]} requests written; slowest other-client answer {slow*1000:.0f} ms", flush=True)
    p.kill(); p.wait(); shutil.rmtree(d, ignore_errors=True)
def idle(n=3500):
    d=tempfile.mkdtemp(); p,port=start('ns',d); before=rss(p.pid)
    conns=[socket.create_connection(('127.0.0.1',port)) for _ in range(n)]
    for c in conns: c.sendall(frame(206))
    for c in conns: read_frame(c)
    time.sleep(1); after=rss(p.pid)
    print(f"ns {n} idle connections: RSS {before:.0f} -> {after:.0f} MiB ({(after-before)*1024/n:.1f} KiB each)", flush=True)
    p.kill(); p.wait(); shutil.rmtree(d, ignore_errors=True)
if what=='flood-ns': flood('ns',206)
elif what=='flood-broker': flood('broker',11,{"consumerGroup":"cg","topic":"Flood","queueId":"0","queueOffset":"0","maxMsgNums":"32","sysFlag":"4","commitOffset":"0","suspendTimeoutMillis":"0","subscription":"*","subVersion":"0"})
elif what=='idle': idle()
