using System;

namespace TracedLlm.Pipeline;

// PropertyNameCheck: the stack of the objects and arrays the walk is in, each with its names' mark and its place.
internal sealed partial class PropertyNameCheck
{
    private static void NextItem(ref Frame frame)
    {
        if (frame.IsArray)
        {
            frame.Index++;
        }
    }

    private void Push(bool isArray, RequestShape shape)
    {
        if (++_top == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        ref var frame = ref _frames[_top];
        frame.IsArray = isArray;
        if (!ReferenceEquals(frame.Shape, shape))
        {
            frame.Shape = shape;
        }

        frame.FirstName = _nameCount;
        frame.UnescapedMark = _unescapedLength;
        frame.Index = -1;
    }

    private void Pop()
    {
        // The frame's shapes are left for the next push to overwrite: they live as long as the gateway anyway.
        ref var frame = ref _frames[_top];
        _nameCount = frame.FirstName;
        _unescapedLength = frame.UnescapedMark;
        _top--;
    }

    private void Unwind(int depth)
    {
        while (_top > depth)
        {
            Pop();
        }
    }

    private struct Frame
    {
        public bool IsArray;
        public RequestShape Shape;

        // The shape of the value of the object's current property.
        public RequestShape Child;
        public int FirstName;
        public int UnescapedMark;

        // The array's current item, or the object's current property (an index into the names).
        public int Index;
        public int CurrentName;
    }
}
