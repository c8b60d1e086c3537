# reflow-launch recipe 1, image 2 of 2: reflow and the project (rebuilt in seconds).
FROM reflow-deps:845fe424aac3ce48
RUN ["pip", "install", "reflow-callbacks~=0.1", "reflow-cli~=0.1"]
COPY entry.py /opt/reflow/entry.py
ENV PYTHONPATH=/workspace/src:/workspace
WORKDIR /workspace
LABEL lightning-reflow.image="app"
